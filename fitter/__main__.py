from fitter.cli import main

main()
