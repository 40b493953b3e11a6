# Containers, Compose and Terraform targets (included by the Makefile; `make help` lists them).
# Compose always reads versions.env (the pinned image tags), ports.env, app/config/timeouts.env and limits.env, and .env (settings and secrets: `make env`).

COMPOSE ?= docker compose
WEB_REPLICAS ?= 2
COMPOSE_BASE := $(COMPOSE) --env-file versions.env --env-file ports.env --env-file app/config/timeouts.env --env-file app/config/limits.env --env-file .env -f docker-compose.yml
# ALERTING=production delivers alerts to PagerDuty, Slack and email (docker-compose.alerting.yml).
ALERTING ?= sink
ifneq ($(filter-out sink production,$(ALERTING)),)
$(error ALERTING=$(ALERTING): use sink (the alert-sink log, the default) or production)
endif
# OFFSITE=s3 adds pgBackRest's second repository, off the host over S3 (docker-compose.offsite.yml).
OFFSITE ?= none
ifneq ($(filter-out none s3,$(OFFSITE)),)
$(error OFFSITE=$(OFFSITE): use none (the default) or s3)
endif
COMPOSE_PROD := $(COMPOSE_BASE) -f docker-compose.prod.yml $(if $(filter production,$(ALERTING)),-f docker-compose.alerting.yml) $(if $(filter s3,$(OFFSITE)),-f docker-compose.offsite.yml)
# terraform/provider/build.sh prints the CLI config that installs the docker provider from its local mirror.
TERRAFORM := eval "$$(terraform/provider/build.sh)" && terraform -chdir=terraform

.PHONY: env image up down logs prod-up prod-down prod-ps compose-restore deploy-test tf-init tf-validate tf-test tf-plan tf-apply tf-destroy

.env:
	@test -f .env || { \
	  umask 077; \
	  python3 -c 'import re, secrets, sys; text = open(".env.example").read(); \
	    sys.stdout.write(re.sub(r"change-me", lambda m: secrets.token_urlsafe(48), text))' > .env; \
	  echo "wrote .env with fresh random secrets (from .env.example); review DJANGO_ALLOWED_HOSTS and NGINX_PUBLISH"; }

env: .env ## write .env from .env.example with fresh random secrets (kept if it exists)

image: .env ## build the app, nginx, collector and Jaeger images (bases from versions.env)
	$(COMPOSE_PROD) build

up: .env ## development stack: one web replica with code reload, at http://127.0.0.1:<WEB_PORT of ports.env>
	$(COMPOSE_BASE) up -d --build --wait

down: ## stop the development or production stack (volumes are kept)
	$(COMPOSE_PROD) down --remove-orphans

logs: ## follow the Compose stack's logs
	$(COMPOSE_PROD) logs -f --tail=100

prod-up: .env ## production stack behind nginx: make prod-up WEB_REPLICAS=3 [ALERTING=production] [OFFSITE=s3]
	WEB_REPLICAS=$(WEB_REPLICAS) $(COMPOSE_PROD) up -d --build --wait --remove-orphans

prod-ps: ## list the Compose stack's containers and their health
	$(COMPOSE_PROD) ps

prod-down: down ## same as down

compose-restore: ## restore the Compose stack's PostgreSQL from pgBackRest (TIME="2026-12-02 10:15:00+00" for a moment, SET=<label>)
	COMPOSE="$(COMPOSE_PROD)" SET="$(SET)" scripts/compose-restore.sh "$(TIME)"

deploy-test: install ## the deployment checks only (Compose, Dockerfiles, Terraform), no Docker engine needed
	$(PY) -m pytest tests/deploy -q

tf-init: ## terraform init in terraform/ with the locally built docker provider
	$(TERRAFORM) init -input=false

tf-validate: tf-init ## terraform fmt -check and validate
	$(TERRAFORM) fmt -check -recursive
	$(TERRAFORM) validate

tf-test: tf-init ## terraform test (plan mode, docker provider mocked)
	$(TERRAFORM) test

tf-plan: tf-init ## terraform plan (needs terraform/terraform.tfvars and a Docker engine)
	$(TERRAFORM) plan -out=tweetstack.tfplan

tf-apply: ## apply the plan tf-plan wrote
	$(TERRAFORM) apply tweetstack.tfplan

tf-destroy: tf-init ## destroy what terraform provisioned (named volumes included)
	$(TERRAFORM) destroy
