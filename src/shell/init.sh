# eks-kc shell integration for {shell}: per-shell contexts and namespaces.
# Load it from ~/.{shell}rc:   eval "$(eks-kc init {shell})"
#
# `eks-kc use` and `eks-kc ns` run through the function below. When one of them changes which
# kubeconfig this shell reads, eks-kc prints the change as shell code (its first line is
# "# eks-kc eval") and the function applies it; anything else is printed as it came. Every
# other command goes straight to the binary.
export EKS_KC_SHELL=$$

eks-kc() {
  case ${1-} in
    use | ns)
      local __eks_kc_out __eks_kc_status __eks_kc_tty=0
      # Its stdout is captured here: tell it whether ours is a terminal (a picker opens only
      # for a person at one).
      [ -t 1 ] && __eks_kc_tty=1
      __eks_kc_out=$(_EKS_KC_EVAL={shell} _EKS_KC_TTY=$__eks_kc_tty command eks-kc "$@")
      __eks_kc_status=$?
      case $__eks_kc_out in
        '# eks-kc eval'*) eval "$__eks_kc_out" ;;
        ?*) printf '%s\n' "$__eks_kc_out" ;;
      esac
      return "$__eks_kc_status"
      ;;
    *) command eks-kc "$@" ;;
  esac
}
