"""python3 -m nbglm plot DE.tsv DIR [--padj P] [--title T]: the plots of an
`nbglm de` table (what `nbglm de --plots DIR` runs)."""
import sys

from . import plot

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "plot":
        sys.exit(__doc__)
    sys.exit(plot.main(sys.argv[2:]))
