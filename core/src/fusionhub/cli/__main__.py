"""`python -m fusionhub.cli`: the same command as the `fusionhub` script."""

from fusionhub.cli import main

main()
