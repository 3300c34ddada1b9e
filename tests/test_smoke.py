"""The app starts, serves its public pages and its health check."""


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Voisinage" in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_resident_logs_in(client, resident):
    user, password = resident
    client.login(user, password)
    page = client.get("/habitant/")
    assert page.status_code == 200
    assert user.first_name in page.get_data(as_text=True)
