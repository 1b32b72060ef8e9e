/* fuzz_rpc_bind.c - the DCE/RPC bind_ack / bind_nak parser
 * (rpc_bind_answer_parse) on any received bytes, for call_id 1 (what the
 * probe sends first), then the wording and state of the result. */
#include <stdint.h>
#include "fuzz.h"
#include "rpc_bind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past the end */
	unsigned char *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	struct rpc_probe_result res;
	memset(&res, 0, sizeof res);
	memset(res.detail, 'x', sizeof res.detail);
	res.connect_s = res.bind_s = res.total_s = 0.001;
	enum rpc_outcome o = rpc_bind_answer_parse(buf, size, 1, &res);
	if (o != res.outcome)
		fuzz_fail("returned %d, result says %d", (int)o, (int)res.outcome);
	if (o == RPC_CONNECT_FAILED)
		fuzz_fail("a parser cannot fail to connect");
	fuzz_check_err(res.detail, o != RPC_ACCEPTED);
	char text[256];
	rpc_probe_describe(&res, text, sizeof text);
	state_t st = rpc_probe_state(&res, STATE_CRITICAL);
	if ((st == STATE_OK) != (o == RPC_ACCEPTED))
		fuzz_fail("state %d for outcome %d", (int)st, (int)o);
	free(buf);
	return 0;
}
