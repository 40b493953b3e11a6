# The native stack's targets, included by the Makefile: every service as a supervised process on loopback.
# State lives in STACK_DIR (default var/stack); ports come from stack/ports.py (override with STACK_PORT_<NAME>).
REPLICAS ?= 2
STACK := $(PY) -m stack

.PHONY: stack stack-status stack-logs stack-rolling-restart stack-down stack-clean checklist

stack: install-stack ## start the production stack natively (REPLICAS=N, default 2) and print its URLs
	$(STACK) up --replicas $(REPLICAS)

stack-status: install-stack ## every stack service's state, readiness and URL
	@$(STACK) status

stack-logs: install-stack ## follow the stack's logs (SERVICES="web-0 nginx" for some)
	@$(STACK) logs $(SERVICES)

stack-rolling-restart: install-stack ## restart the web replicas one at a time, each back to ready first (no request lost)
	$(STACK) rolling-restart

stack-down: install-stack ## stop the stack, keep its data
	@$(STACK) down

stack-clean: install-stack ## stop the stack and delete its state folder
	@$(STACK) clean

CHECKLIST_ARGS ?=
checklist: install-stack ## production readiness checklist against the native stack (CHECKLIST_ARGS="--url ... --json")
	$(PY) -m checklist $(CHECKLIST_ARGS)
