"""--help and the man pages must not drift apart: every option --help lists
is documented in packaging/man/<plugin>.1, and every option the man page
documents exists in --help."""
import glob
import os
import re
import subprocess

import pytest

import harness

PLUGINS = sorted(os.path.basename(p)[:-2] for p in
                 glob.glob(os.path.join(harness.ROOT, "plugins", "check_kms_*.c")))
LONG_OPT = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def help_options(name):
    proc = subprocess.run([harness.plugin(name), "--help"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc
    assert proc.stdout.startswith(name), proc.stdout[:200]
    return set(LONG_OPT.findall(proc.stdout))


def man_options(name):
    path = os.path.join(harness.ROOT, "packaging", "man", name + ".1")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # roff writes a literal minus as \- (and sometimes \(hy); undo that
    text = text.replace("\\-", "-").replace("\\(hy", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
    return set(LONG_OPT.findall(text))


@pytest.mark.parametrize("name", PLUGINS)
def test_man_page_documents_every_help_option(name):
    missing = help_options(name) - man_options(name)
    assert not missing, "%s.1 lacks %s" % (name, sorted(missing))


@pytest.mark.parametrize("name", PLUGINS)
def test_man_page_documents_no_option_help_lacks(name):
    extra = man_options(name) - help_options(name)
    assert not extra, "%s.1 documents options --help lacks: %s" % (name, sorted(extra))


@pytest.mark.parametrize("name", PLUGINS)
def test_version_names_plugin(name):
    proc = subprocess.run([harness.plugin(name), "--version"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0
    assert re.match(r"^%s \(kms-plugins\) \d+\.\d+\.\d+$" % name, proc.stdout.strip()), proc.stdout
