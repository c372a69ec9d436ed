from fazhi_cli.cli.app import main

main()
