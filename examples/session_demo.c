/*
 * session_demo.c — libpreflight as a server would use it: one session,
 * a batch of three rows, and a dry-run gated send.
 *
 * usage: session_demo SHARE_DIR   (the installed <prefix>/share/sms-preflight)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <preflight/preflight.h>

static int print_row(void *ctx, const pf_batch_row *row)
{
    (void)ctx;
    fwrite(row->json, 1, row->json_len, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    char rules[4096], data[4096];
    pf_session_options *so = NULL;
    pf_session *session = NULL;
    pf_batch_options *bo = NULL;
    pf_batch *batch = NULL;
    pf_send_options *sendo = NULL;
    pf_sender *sender = NULL;
    pf_send_outcome outcome;
    pf_diag d;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: session_demo SHARE_DIR\n");
        return 2;
    }
    printf("libpreflight %s (header %s, ABI %d)\n", pf_version(), PF_VERSION_STRING,
           PF_ABI_VERSION);
    snprintf(rules, sizeof rules, "%s/rules", argv[1]);
    snprintf(data, sizeof data, "%s/data", argv[1]);
    pf_send_outcome_init(&outcome);

    /* One session: loaded once, shared by every thread. */
    if (pf_session_options_create(&so) != PF_OK ||
        pf_session_options_add_rules_dir(so, rules) != PF_OK ||
        pf_session_options_add_data_dir(so, data) != PF_OK)
        goto out;
    if (pf_session_open(so, &session, &d) != PF_OK) {
        fprintf(stderr, "%s: %s\n", d.file, d.message);
        goto out;
    }

    /* A batch of three rows, checked by two workers, back in input order. */
    static const char *const header[] = {"user_number", "message"};
    static const char *const rows[3][2] = {
        {"+14155552671", "Acme: your order shipped."},
        {"+447400123456", "Acme: 50% off today only at bit.ly/acme"},
        {"+14155552671", "Acme: your order arrived."},
    };
    size_t lens[2];
    pf_check_input base = pf_check_input_default();
    base.send_time = 1764180000; /* 2025-11-26T18:00:00Z */
    if (pf_batch_options_create(&bo) != PF_OK || pf_batch_options_set_jobs(bo, 2) != PF_OK ||
        pf_batch_options_set_base(bo, &base) != PF_OK || pf_batch_options_set_json(bo, true) != PF_OK ||
        pf_batch_options_set_on_row(bo, print_row, NULL) != PF_OK ||
        pf_batch_create(session, bo, &batch, &d) != PF_OK)
        goto out;
    lens[0] = strlen(header[0]);
    lens[1] = strlen(header[1]);
    if (pf_batch_set_header(batch, header, lens, 2, &d) != PF_OK)
        goto fail;
    for (int i = 0; i < 3; i++) {
        lens[0] = strlen(rows[i][0]);
        lens[1] = strlen(rows[i][1]);
        if (pf_batch_add_row(batch, rows[i], lens, 2, NULL, &d) != PF_OK)
            goto fail;
    }
    if (pf_batch_finish(batch, &d) != PF_OK)
        goto fail;
    pf_batch_summary sum = {.size = sizeof sum};
    pf_batch_get_summary(batch, &sum);
    printf("batch: %zu rows, %zu pass, %zu warn, %zu block, %zu duplicates\n", sum.rows, sum.pass,
           sum.warn, sum.block, sum.duplicates);

    /* A gated send, dry run: the check decides; nothing leaves. */
    pf_check_input in = pf_check_input_default();
    in.to = "+14155552671";
    in.to_len = strlen(in.to);
    in.message = "Acme: your order shipped.";
    in.message_len = strlen(in.message);
    in.send_time = base.send_time;
    if (pf_send_options_create(&sendo) != PF_OK ||
        pf_send_options_set_cluster(sendo, "us-1") != PF_OK ||
        pf_send_options_set_dry_run(sendo, true) != PF_OK ||
        pf_sender_create(session, sendo, &sender, &d) != PF_OK ||
        pf_sender_send(sender, &in, &outcome, &d) != PF_OK)
        goto fail;
    printf("send: %s, verdict %s, %s %s\n", pf_send_gate_name(outcome.gate),
           pf_verdict_name(outcome.verdict.verdict), outcome.preview.method,
           outcome.preview.url ? outcome.preview.url : "-");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "session_demo: %s\n", d.message);
out:
    pf_send_outcome_clear(&outcome);
    pf_sender_destroy(sender);
    pf_send_options_destroy(sendo);
    pf_batch_destroy(batch);
    pf_batch_options_destroy(bo);
    pf_session_unref(session);
    pf_session_options_destroy(so);
    return rc;
}
