# eks-kc shell integration for fish: per-shell contexts and namespaces.
# Load it from ~/.config/fish/config.fish:   eks-kc init fish | source
#
# `eks-kc use` and `eks-kc ns` run through the function below. When one of them changes which
# kubeconfig this shell reads, eks-kc prints the change as fish code (its first line is
# "# eks-kc eval") and the function applies it; anything else is printed as it came. Every
# other command goes straight to the binary.
set -gx EKS_KC_SHELL $fish_pid

function eks-kc --description 'eks-kc, with per-shell contexts (eks-kc init fish)'
    switch "$argv[1]"
        case use ns
            # Its stdout is captured here: tell it whether ours is a terminal (a picker opens
            # only for a person at one).
            set -l __eks_kc_tty 0
            isatty stdout; and set __eks_kc_tty 1
            set -l __eks_kc_out (_EKS_KC_EVAL=fish _EKS_KC_TTY=$__eks_kc_tty command eks-kc $argv)
            set -l __eks_kc_status $status
            if test "$__eks_kc_out[1]" = '# eks-kc eval'
                string join \n -- $__eks_kc_out | source
            else if set -q __eks_kc_out[1]
                printf '%s\n' $__eks_kc_out
            end
            return $__eks_kc_status
        case '*'
            command eks-kc $argv
    end
end
