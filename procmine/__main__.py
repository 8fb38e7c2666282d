from procmine.cli import main

main()
