/* version.h - the release of kms-plugins: --version, the HTTP User-Agent
 * and the packages (Makefile, tests/integration/test_packaging.py read it
 * from this line). A leaf: fetch (below options) needs it too. */
#ifndef KMS_VERSION_H
#define KMS_VERSION_H

#define KMS_VERSION "0.1.0"

#endif
