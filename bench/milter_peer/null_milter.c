/* null_milter.c — the peer of bench/milter_protocol.py: the smallest filter libmilter (Debian's
 * libmilter-dev, Sendmail's own milter library) makes. It adds one header field and accepts,
 * so what the bench measures is libmilter's protocol handling, not any scanning.
 * Built by the bench with: cc -O2 null_milter.c -lmilter -lpthread */
#include <libmilter/mfapi.h>

static sfsistat on_eom(SMFICTX *ctx) {
  smfi_addheader(ctx, "X-Null", "seen");
  return SMFIS_ACCEPT;
}

static struct smfiDesc filter = {
    .xxfi_name = "null",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_eom = on_eom,
};

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(filter) == MI_FAILURE) return 1;
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
