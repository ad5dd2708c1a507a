from authfit.cli import main

main()
