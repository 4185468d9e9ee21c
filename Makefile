# The seed's make targets, on the scripts and the CLI. Each works offline on the Sock Shop twin
# unless TWIN= is set empty (then it uses the cluster of stack.yaml).
PY ?= .venv/bin/python
TWIN ?= --twin
COUNT ?= 3

.PHONY: install inventory suggest demo test

install:  ## create .venv and install the agent with its test extras
	./scripts/setup.sh

inventory: install  ## discover the stack and print it
	$(PY) -m agent inventory $(TWIN)

suggest: install  ## propose COUNT experiments and save them in experiments/
	$(PY) -m agent suggest --count $(COUNT) $(TWIN)

demo:  ## run the whole loop on the twin (scripts/demo.sh; ARGS="--approve 1" where there is no terminal)
	./scripts/demo.sh $(ARGS)

test:  ## every check and test (scripts/test.sh)
	./scripts/test.sh
