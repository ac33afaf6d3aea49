"""`python -m nlu.seeded_rasa SEED <rasa args…>`: the Rasa CLI with Python's and NumPy's random generators seeded.

`rasa test nlu --cross-validation` splits the data with scikit-learn's StratifiedKFold(shuffle=True) and no
random_state, so every run draws other folds and the figures move by about a point (0.958–0.968 intent
accuracy on the same data). Seeding makes the report a function of its inputs, like the cached model.
"""
import random
import sys

import numpy


def main() -> None:
    seed = int(sys.argv[1])
    random.seed(seed)
    numpy.random.seed(seed)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[2:]]
    rasa_main()


if __name__ == "__main__":
    main()
