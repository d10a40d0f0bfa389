/*
 * preflight.h — the umbrella header of libpreflight.
 *
 * sms-preflight answers, before an SMS is sent: may this message go to this
 * number, from this sender, now? Include this header, or only the area
 * headers you need.
 */
#ifndef PREFLIGHT_PREFLIGHT_H
#define PREFLIGHT_PREFLIGHT_H

#include "preflight/audit.h"
#include "preflight/batch.h"
#include "preflight/campaign.h"
#include "preflight/config.h"
#include "preflight/countries.h"
#include "preflight/csv.h"
#include "preflight/engine.h"
#include "preflight/findings.h"
#include "preflight/lint.h"
#include "preflight/message.h"
#include "preflight/number.h"
#include "preflight/outbound.h"
#include "preflight/scan.h"
#include "preflight/segments.h"
#include "preflight/send.h"
#include "preflight/sender.h"
#include "preflight/session.h"
#include "preflight/status.h"
#include "preflight/template.h"
#include "preflight/util.h"
#include "preflight/version.h"

#endif
