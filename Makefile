# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper of theirs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app app:create_app
PYTEST_ARGS ?= -n auto

.PHONY: run test install serve migrate clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: create .venv, install, migrate, load demo data if the database is empty, serve on :5000
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: create .venv, install, run the whole suite (TEST_DATABASE_URL=postgresql://… for PostgreSQL)
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make serve: migrate, then serve with gunicorn (deploy/gunicorn.conf.py) on DATABASE_URL, at
## 127.0.0.1:8000 unless GUNICORN_BIND says otherwise; VOISINAGE_ENV=production for production
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py 'app:create_app()'

migrate: install
	$(FLASK) db upgrade

## make translations: extract every string into messages.pot, update each catalogue, compile the .mo
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--ignore-dirs '.* __pycache__' --project Voisinage -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d app/translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
