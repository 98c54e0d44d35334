/* review_handler.c: the management review pack (ISO/IEC 27001 9.3). */
#include "report_chunk.h"

rl_err_t report_review_chunk(chunk_t *c, rl_error_t *err)
{
    (void)c;
    return rl_error_set(err, RL_ERR_INVALID, "name", "review_pack is not available yet");
}
