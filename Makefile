# Convenience wrappers; dev.py is the real thing and needs only Python 3.11.
.PHONY: demo test
demo:
	python3 dev.py demo
test:
	python3 dev.py test
