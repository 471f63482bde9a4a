# SPDX-License-Identifier: GPL-2.0
# bash completion for sockmictl(8)

_sockmictl()
{
	local cur prev words cword
	_init_completion || return

	local cmds="list stats flows export import monitor genkey help"
	local i cmd=""

	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-*) ;;
		*) cmd="${words[i]}"; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-j --json -h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	case "$cmd" in
	list|stats|flows|monitor)
		COMPREPLY=($(compgen -W "-j --json -h --help" -- "$cur"))
		;;
	help)
		[[ $prev == help ]] && COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		;;
	export)
		case "$prev" in
		pid)
			COMPREPLY=($(compgen -W "$(cd /proc && compgen -G '[0-9]*')" -- "$cur"))
			;;
		fd)
			local pid="" j
			for ((j = i + 1; j < cword - 1; j++)); do
				[[ ${words[j]} == pid ]] && pid="${words[j + 1]}"
			done
			[[ -n $pid && -d /proc/$pid/fd ]] &&
				COMPREPLY=($(compgen -W "$(cd "/proc/$pid/fd" 2>/dev/null && compgen -G '[0-9]*')" -- "$cur"))
			;;
		to)
			;;
		*)
			# The keywords not given yet.
			local c w left=""
			for c in pid fd to; do
				for w in "${words[@]:i+1:cword-i-1}"; do
					[[ $w == "$c" ]] && continue 2
				done
				left+=" $c"
			done
			COMPREPLY=($(compgen -W "$left -j --json" -- "$cur"))
			;;
		esac
		;;
	import)
		local j
		# After "--": the command and its arguments.
		for ((j = i + 1; j < cword; j++)); do
			if [[ ${words[j]} == -- ]]; then
				_command_offset $((j + 1))
				return
			fi
		done
		case "$prev" in
		state)
			COMPREPLY=($(compgen -W "bound listen connected listen,connected" -- "$cur"))
			;;
		local|remote|timeout)
			;;
		*)
			local c w left=""
			for c in state local remote timeout --stdio; do
				for w in "${words[@]:i+1:cword-i-1}"; do
					[[ $w == "$c" ]] && continue 2
				done
				left+=" $c"
			done
			COMPREPLY=($(compgen -W "$left --" -- "$cur"))
			;;
		esac
		;;
	esac
} &&
complete -F _sockmictl sockmictl
