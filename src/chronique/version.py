"""The one place where the dataset version is written.

The package and the dataset share this version: a release directory is
``releases/<__version__>/``. Bump it by the data SemVer rules (major: schema
or label set; minor: documents or annotation layers added; patch: corrections).
"""

__version__ = "1.0.0"
