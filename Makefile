.PHONY: serve test check
serve:
	scripts/serve
test:
	scripts/test
check:
	scripts/check
