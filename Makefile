# The seed's make targets, on the scripts and the CLI. Each works offline on the Sock Shop twin
# unless TWIN= is set empty (then it uses the cluster of stack.yaml).
PY ?= .venv/bin/python
TWIN ?= --twin
COUNT ?= 3

.PHONY: install inventory suggest demo test doctor
.PHONY: k8s-install-litmus k8s-install-experiments k8s-deploy-sock-shop k8s-install-prometheus k8s-rbac

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

doctor: install  ## check that a run could start (API, RBAC, Litmus, experiments, metrics, pods); exit 1 if not
	$(PY) -m agent doctor $(TWIN)

# --- A real cluster, from empty to the first experiment (docs/real-cluster.md) ------------------
# [real cluster] These change the cluster of your current kubectl context (kubectl, curl, git);
# nothing here runs on the twin. Versions are pinned to the upstream copies the project carries.
LITMUS_VERSION ?= 3.18.0
LITMUS_OPERATOR = https://raw.githubusercontent.com/litmuschaos/chaos-operator/$(LITMUS_VERSION)/deploy
LITMUS_CHARTS = https://raw.githubusercontent.com/litmuschaos/chaos-charts/$(LITMUS_VERSION)
NS ?= sock-shop
# stack.yaml policy.actions (a test keeps them equal)
FAULTS ?= pod-delete container-kill pod-cpu-hog pod-memory-hog pod-network-latency pod-network-loss pod-network-corruption pod-network-duplication pod-dns-error
SOCK_SHOP_REF ?= 9dff06fae4981921caec6a62393a6ebfce4b3e3f
SOCK_SHOP_MANIFEST = twin/data/complete-demo.yaml
SOCK_SHOP_REPO = .chaos-advisor/microservices-demo
RBAC_DIR = .chaos-advisor/deploy

k8s-install-litmus:  ## [real cluster] Litmus $(LITMUS_VERSION): namespace litmus, operator RBAC, CRDs, chaos operator
	kubectl apply -f $(LITMUS_OPERATOR)/rbac.yaml
	kubectl apply -f $(LITMUS_OPERATOR)/chaos_crds.yaml
	curl -fsSL $(LITMUS_OPERATOR)/operator.yaml | sed 's/:ci$$/:$(LITMUS_VERSION)/; s/:ci"$$/:$(LITMUS_VERSION)"/' | kubectl apply -f -
	kubectl -n litmus rollout status deployment/litmus --timeout=300s

k8s-install-experiments:  ## [real cluster] each fault's ChaosExperiment and the litmus-admin chaos account in NS
	kubectl apply -n $(NS) $(foreach f,$(FAULTS),-f $(LITMUS_CHARTS)/faults/kubernetes/$(f)/fault.yaml)
	kubectl apply -f $(LITMUS_CHARTS)/service-accounts/litmus-admin-rbac.yaml
	kubectl -n $(NS) create serviceaccount litmus-admin --dry-run=client -o yaml | kubectl apply -f -
	kubectl create clusterrolebinding litmus-admin-$(NS) --clusterrole=litmus-admin --serviceaccount=$(NS):litmus-admin --dry-run=client -o yaml | kubectl apply -f -

k8s-deploy-sock-shop:  ## [real cluster] Sock Shop from upstream complete-demo.yaml (mongo pinned to 3.4: upstream issue #900)
	kubectl apply -f $(SOCK_SHOP_MANIFEST)
	kubectl -n sock-shop set image deployment/carts-db carts-db=mongo:3.4
	kubectl -n sock-shop set image deployment/orders-db orders-db=mongo:3.4
	kubectl -n sock-shop wait --for=condition=Available deployment --all --timeout=900s

k8s-install-prometheus:  ## [real cluster] upstream Sock Shop's Prometheus (namespace monitoring), scraping it as the queries expect
	test -d $(SOCK_SHOP_REPO) || git clone --quiet https://github.com/microservices-demo/microservices-demo $(SOCK_SHOP_REPO)
	git -C $(SOCK_SHOP_REPO) checkout --quiet $(SOCK_SHOP_REF)
	kubectl apply -f $(SOCK_SHOP_REPO)/deploy/kubernetes/manifests-monitoring/
	kubectl -n monitoring rollout status deployment/prometheus-deployment --timeout=300s

k8s-rbac: install  ## [real cluster] the agent's own namespace, ServiceAccount and least-privilege RBAC (python -m agent manifests)
	$(PY) -m agent manifests --output-dir $(RBAC_DIR)
	kubectl apply -f $(RBAC_DIR)/00-namespace.yaml -f $(RBAC_DIR)/10-serviceaccount.yaml -f $(RBAC_DIR)/20-rbac.yaml
