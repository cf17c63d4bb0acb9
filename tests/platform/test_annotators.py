"""Annotators authenticated and authorised per project (MLC1009, M2.3.4)."""

from __future__ import annotations

from mlsvs.checks.platform.annotators import annotators_authorised
from tests.platform.helpers import run, statuses, write

KUBE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: label-studio
  namespace: labelling
spec:
  replicas: 1
  selector:
    matchLabels: {app: label-studio}
  template:
    metadata:
      labels: {app: label-studio}
    spec:
      containers:
        - name: app
          image: heartexlabs/{image}
          ports:
            - containerPort: 8080
          env:
            - name: DJANGO_DB
              value: default
            - name: POSTGRE_HOST
              value: labelling-db.labelling.svc
            - name: POSTGRE_PASSWORD
              valueFrom:
                secretKeyRef: {name: labelling-db, key: password}
{env}
"""
SIGNUP_OFF = """            - name: LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK
              value: "true"
"""

COMPOSE = """
services:
  label-studio:
    image: heartexlabs/label-studio:1.13.1
    ports:
      - "127.0.0.1:8080:8080"
    environment:
      - LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true
      - LABEL_STUDIO_USERNAME=annotators@example.com
      - LABEL_STUDIO_PASSWORD=Labelling2026!
    volumes:
      - ./mydata:/label-studio/data
  cvat_server:
    image: cvat/server:v2.22.0
"""

DOCKERFILE = """
FROM heartexlabs/label-studio-enterprise:2.14.0
ENV LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \\
    LABEL_STUDIO_HOST=https://label.example.com
USER 1001
"""


def _kube(image: str, env: str) -> str:
    return KUBE.replace("{image}", image).replace("{env}", env)


def test_enterprise_with_signup_off_passes(tmp_path) -> None:
    root = write(
        tmp_path, {"deploy/labelling.yaml": _kube("label-studio-enterprise:2.14.0", SIGNUP_OFF)}
    )
    assert statuses(run(annotators_authorised, root)) == {"pass"}
    root = write(tmp_path / "docker", {"labelling/Dockerfile": DOCKERFILE})
    assert statuses(run(annotators_authorised, root)) == {"pass"}


def test_community_or_open_signup_fails(tmp_path) -> None:
    root = write(tmp_path, {"deploy/labelling.yaml": _kube("label-studio:1.13.1", SIGNUP_OFF)})
    outcomes = run(annotators_authorised, root)
    assert statuses(outcomes) == {"fail"} and "no per-project authorisation" in outcomes[0].message
    write(tmp_path, {"deploy/labelling.yaml": _kube("label-studio-enterprise:2.14.0", "")})
    outcomes = run(annotators_authorised, root)
    assert statuses(outcomes) == {"fail"} and "create an account" in outcomes[0].message


def test_compose_shared_password_and_other_tools(tmp_path) -> None:
    root = write(tmp_path, {"docker-compose.yml": COMPOSE})
    outcomes = {o.key: o for o in run(annotators_authorised, root)}
    ls = outcomes["docker-compose.yml: service label-studio"]
    assert ls.status.value == "fail" and "shared default account" in ls.message
    assert outcomes["docker-compose.yml: service cvat_server"].status.value == "not_verified"


def test_no_tool_or_unparsable_is_not_verified(tmp_path) -> None:
    root = write(
        tmp_path,
        {"Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/serve.py"]\n'},
    )
    assert statuses(run(annotators_authorised, root)) == {"abstained"}
    write(
        tmp_path,
        {"deploy/labelling.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: {template: [\n"},
    )
    outcomes = run(annotators_authorised, root)
    assert statuses(outcomes) == {"not_verified"}
    assert any("could not be read" in o.message for o in outcomes)
