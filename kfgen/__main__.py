from kfgen.cli import main

main()
