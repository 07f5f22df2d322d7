"""``pm-analytics dashboard``, ``--version``, ``load --sample`` and the pre-commit hook's definition, without
starting a server (the installed wheel's dashboard is in test_install.py, the clone's in test_browser.py)."""

import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import pm_analytics
from pm_analytics import dashboard, settings
from pm_analytics.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.fixture
def no_settings(monkeypatch):
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)


@pytest.fixture
def served(monkeypatch, no_settings):
    """Calls to os.execve (the dashboard replacing the process with Streamlit), recorded instead of made."""
    calls = []
    monkeypatch.setattr(dashboard.os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    return calls


def _options(argv: list[str]) -> dict[str, str]:
    flags = argv[argv.index("run") + 2:]
    return dict(zip(flags[::2], flags[1::2]))


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"pm-analytics {pm_analytics.__version__}\n"


def test_dashboard_help_lists_every_setting_with_its_environment_variable(capsys):
    with pytest.raises(SystemExit):
        main(["dashboard", "--help"])
    text = re.sub(r"\s+", "", capsys.readouterr().out)  # argparse wraps lines, also at hyphens
    for setting in settings.SETTINGS:
        line = f"{setting.option or ''}{setting.metavar}{setting.help}[env{setting.env};default:{setting.default_text}]"
        assert re.sub(r"\s+", "", line.replace("`", "")) in text


def test_the_readme_settings_table_is_the_declared_one():
    assert settings.markdown_table() in README


def test_a_clone_serves_its_own_files():
    assert not settings.INSTALLED and settings.APP_ROOT == ROOT
    assert settings.SAMPLE_DATA == ROOT / "data" and settings.STREAMLIT_CONFIG == ROOT / ".streamlit" / "config.toml"


def test_dashboard_runs_streamlit_on_app_py_with_the_project_config(served, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["dashboard", str(ROOT / "data"), "--port", "8600", "--cache", "cache"])
    ((path, argv, env),) = served
    assert path == sys.executable and argv[1:5] == ["-P", "-m", "streamlit", "run"]
    assert argv[5] == str(ROOT / "app.py")
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    options = _options(argv)
    assert options["--server.headless"] == "true" and options["--browser.gatherUsageStats"] == "false"
    assert options["--server.address"] == "127.0.0.1" == config["server"]["address"] == settings.HOST.value()
    assert options["--server.port"] == "8600"
    assert len(options) == sum(len(section) for section in config.values()) + ("server.port" not in config["server"])
    assert env["PM_ANALYTICS_DATA"] == str(ROOT / "data")
    assert env["PM_ANALYTICS_CACHE"] == str(tmp_path / "cache"), "relative paths are made absolute"


def test_dashboard_settings_come_from_the_option_else_the_environment_else_the_default(served, monkeypatch,
                                                                                        tmp_path):
    main(["dashboard"])
    env, options = served[-1][2], _options(served[-1][1])
    assert env["PM_ANALYTICS_DATA"] == str(ROOT / "data"), "the bundled sample"
    assert env["PM_ANALYTICS_CACHE"] == str(ROOT / ".pm-analytics-cache")
    assert (options["--server.address"], options["--server.port"]) == ("127.0.0.1", "8501")

    monkeypatch.setenv("PM_ANALYTICS_DATA", str(tmp_path))
    monkeypatch.setenv("PM_ANALYTICS_HOST", "10.0.0.5")
    monkeypatch.setenv("PM_ANALYTICS_PORT", "9000")
    main(["dashboard"])
    env, options = served[-1][2], _options(served[-1][1])
    assert env["PM_ANALYTICS_DATA"] == str(tmp_path)
    assert (options["--server.address"], options["--server.port"]) == ("10.0.0.5", "9000")

    main(["dashboard", str(ROOT / "data"), "--host", "127.0.0.1", "--port", "9001"])
    env, options = served[-1][2], _options(served[-1][1])
    assert env["PM_ANALYTICS_DATA"] == str(ROOT / "data")
    assert (options["--server.address"], options["--server.port"]) == ("127.0.0.1", "9001")


def test_dashboard_refuses_what_it_cannot_serve(served, tmp_path, monkeypatch, capsys):
    assert main(["dashboard", str(tmp_path / "nowhere")]) == 2
    assert "no such folder or database file" in capsys.readouterr().err
    monkeypatch.setenv("PM_ANALYTICS_PORT", "eighty")
    assert main(["dashboard", str(tmp_path)]) == 2
    assert "PM_ANALYTICS_PORT: not a port number" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["dashboard", str(tmp_path), "--port", "eighty"])
    assert exit_.value.code == 2
    assert served == []


def test_load_sample_writes_the_bundled_sample_to_a_folder(tmp_path, capsys):
    folder = tmp_path / "first-look"
    assert main(["load", "--sample", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in (ROOT / "data").iterdir() if not p.name.startswith("."))
    assert f"pm-analytics dashboard {folder}" in capsys.readouterr().out
    assert main(["load", "--sample", str(folder)]) == 2, "never over existing files"
    assert "not an empty folder" in capsys.readouterr().err


def test_load_sample_with_a_database_loads_it_too(tmp_path, capsys):
    db = tmp_path / "sample.duckdb"
    assert main(["load", "--sample", str(tmp_path / "sample"), "--db", str(db)]) == 0
    samples = sum(not p.name.startswith(".") for p in (ROOT / "data").iterdir())
    assert f"{samples} files seen, {samples} loaded" in capsys.readouterr().out and db.is_file()


@pytest.mark.parametrize("argv", [["load"], ["load", "data"], ["load", "--db", "x.duckdb"]])
def test_load_without_paths_and_db_or_sample_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "give paths and --db (or --sample [DIR])" in capsys.readouterr().err


HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def test_the_pre_commit_hook_runs_validate_on_post_mortems():
    (hook,) = [h for h in HOOKS if h["id"] == "pm-analytics-validate"]
    assert hook["entry"] == "pm-analytics validate" and hook["language"] == "python"
    assert hook["verbose"] is True, "warnings are printed when the hook passes"
    chosen = [path for path in ["postmortems/2025-01-02-db.md", "2025-01-02-db.yaml", "pm/x.yml", "a.txt",
                                "b.markdown", "README.md", "docs/README.md", ".pre-commit-config.yaml",
                                ".github/workflows/ci.yml", "notes.docx", "CHANGELOG.md"]
              if re.search(hook["files"], path) and not re.search(hook["exclude"], path)]
    assert chosen == ["postmortems/2025-01-02-db.md", "2025-01-02-db.yaml", "pm/x.yml", "a.txt", "b.markdown"]


def test_the_readme_shows_the_pre_commit_config_and_a_ci_step():
    section = README[README.index("## In a post-mortem repository"):]
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    (repo,) = config["repos"]
    assert repo["hooks"][0]["id"] == "pm-analytics-validate"
    assert "pm-analytics validate" in section and "pip install" in section
