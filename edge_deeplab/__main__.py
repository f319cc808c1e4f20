from edge_deeplab.cli import main

main()
