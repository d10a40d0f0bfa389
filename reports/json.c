/*
 * json.c — the JSON renderer (SPEC §3 field names).
 */
#include <string.h>

#include "report.h"

cJSON *pf_report_json_number(const pf_number *n, const char *error)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    pf_report_clean_utf8(n->input, strlen(n->input), clean, sizeof clean);
    cJSON_AddStringToObject(o, "input", clean);
    if (error) {
        cJSON_AddBoolToObject(o, "valid", 0);
        cJSON_AddStringToObject(o, "error", error);
        return o;
    }
    cJSON_AddStringToObject(o, "e164", n->e164);
    cJSON_AddBoolToObject(o, "valid", n->valid);
    cJSON_AddBoolToObject(o, "possible", n->possible);
    cJSON_AddBoolToObject(o, "strict_e164", n->strict_e164);
    cJSON_AddNumberToObject(o, "calling_code", n->calling_code);
    if (n->region[0])
        cJSON_AddStringToObject(o, "region", n->region);
    else
        cJSON_AddNullToObject(o, "region");
    cJSON_AddStringToObject(o, "type", pf_number_type_name(n->type));
    return o;
}
