"""Voisinage: a civic service that matches isolated residents with volunteer visitors.

The factory lives in :mod:`app.factory`; it is imported lazily here so that pure packages
such as :mod:`app.matching` can be imported without pulling in Flask.
"""


def create_app(config=None):
    """Build the Flask application (see :func:`app.factory.create_app`)."""
    from app.factory import create_app as build

    return build(config)
