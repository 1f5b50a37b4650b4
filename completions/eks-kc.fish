complete --keep-order --exclusive --command eks-kc --arguments "(COMPLETE=fish eks-kc -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
