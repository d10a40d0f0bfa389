/*
 * phonenumber_shim.cc — the single C++ translation unit: libphonenumber
 * behind a C interface (see phonenumber_shim.h).
 *
 * PhoneNumberUtil is a process-wide singleton whose const methods are safe
 * to call from many threads; the matcher is created per call. Every entry
 * point catches every exception, because an exception crossing into C is
 * undefined behaviour.
 */
#include "phonenumber_shim.h"
#include "phone_module.h"
#include "preflight/version.h"

#include <cstdlib>
#include <cstring>
#include <climits>
#include <cstdio>
#include <dlfcn.h>
#include <list>
#include <sys/stat.h>
#include <set>
#include <string>

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>

/* The serialized metadata the library loads itself from: exported by
 * libphonenumber.so (src/phonenumbers/metadata.h, not installed). */
namespace i18n
{
namespace phonenumbers
{
int metadata_size();
const void *metadata_get();
} // namespace phonenumbers
} // namespace i18n

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

const PhoneNumberUtil &util()
{
    return *PhoneNumberUtil::GetInstance();
}

/* pf_number_type values, in the order of number.h. */
int type_to_pf(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return 1;
    case PhoneNumberUtil::MOBILE: return 2;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return 3;
    case PhoneNumberUtil::TOLL_FREE: return 4;
    case PhoneNumberUtil::PREMIUM_RATE: return 5;
    case PhoneNumberUtil::SHARED_COST: return 6;
    case PhoneNumberUtil::VOIP: return 7;
    case PhoneNumberUtil::PERSONAL_NUMBER: return 8;
    case PhoneNumberUtil::PAGER: return 9;
    case PhoneNumberUtil::UAN: return 10;
    case PhoneNumberUtil::VOICEMAIL: return 11;
    case PhoneNumberUtil::UNKNOWN: return 0;
    }
    return 0;
}

bool type_from_pf(int t, PhoneNumberUtil::PhoneNumberType *out)
{
    static const PhoneNumberUtil::PhoneNumberType map[] = {
        PhoneNumberUtil::UNKNOWN,
        PhoneNumberUtil::FIXED_LINE,
        PhoneNumberUtil::MOBILE,
        PhoneNumberUtil::FIXED_LINE_OR_MOBILE,
        PhoneNumberUtil::TOLL_FREE,
        PhoneNumberUtil::PREMIUM_RATE,
        PhoneNumberUtil::SHARED_COST,
        PhoneNumberUtil::VOIP,
        PhoneNumberUtil::PERSONAL_NUMBER,
        PhoneNumberUtil::PAGER,
        PhoneNumberUtil::UAN,
        PhoneNumberUtil::VOICEMAIL,
    };
    if (t < 0 || t >= (int)(sizeof map / sizeof map[0]))
        return false;
    *out = map[t];
    return true;
}

void copy_out(const std::string &s, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
    memcpy(buf, s.data(), n);
    buf[n] = '\0';
}

char *dup_or_null(const std::string &s)
{
    if (s.empty())
        return nullptr;
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        throw std::bad_alloc();
    memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

void copy_desc(const PhoneNumberDesc &d, pfi_phone_desc *out)
{
    if (d.possible_length_size() > PFI_PHONE_MAX_LENGTHS ||
        d.possible_length_local_only_size() > PFI_PHONE_MAX_LENGTHS)
        throw std::length_error("too many possible lengths");
    out->n_lengths = d.possible_length_size();
    for (int i = 0; i < out->n_lengths; i++)
        out->lengths[i] = d.possible_length(i);
    out->n_local = d.possible_length_local_only_size();
    for (int i = 0; i < out->n_local; i++)
        out->local[i] = d.possible_length_local_only(i);
    out->pattern = dup_or_null(d.national_number_pattern());
}

void copy_meta(const PhoneMetadata &m, pfi_phone_meta *out)
{
    copy_out(m.id(), out->id, sizeof out->id);
    out->calling_code = m.country_code();
    out->same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
    out->main_country_for_code = m.main_country_for_code();
    /* has_leading_digits, not emptiness, is what libphonenumber tests. */
    if (m.has_leading_digits()) {
        out->leading_digits = dup_or_null(m.leading_digits());
        if (!out->leading_digits)
            out->leading_digits = dup_or_null("(?:)");
    }
    out->national_prefix_for_parsing = dup_or_null(m.national_prefix_for_parsing());
    out->transform_rule = dup_or_null(m.national_prefix_transform_rule());
    out->international_prefix = dup_or_null(m.international_prefix());
    const PhoneNumberDesc *descs[PFI_PHONE_DESCS] = {
        &m.general_desc(),    &m.fixed_line(),   &m.mobile(),      nullptr,
        &m.toll_free(),       &m.premium_rate(), &m.shared_cost(), &m.voip(),
        &m.personal_number(), &m.pager(),        &m.uan(),         &m.voicemail(),
    };
    for (int i = 0; i < PFI_PHONE_DESCS; i++) {
        if (descs[i])
            copy_desc(*descs[i], &out->desc[i]);
    }
}

} // namespace

static void metadata_free(pfi_phone_meta *metas, size_t count)
{
    if (!metas)
        return;
    for (size_t i = 0; i < count; i++) {
        free(metas[i].leading_digits);
        free(metas[i].national_prefix_for_parsing);
        free(metas[i].transform_rule);
        free(metas[i].international_prefix);
        for (int d = 0; d < PFI_PHONE_DESCS; d++)
            free(metas[i].desc[d].pattern);
    }
    free(metas);
}

extern "C" bool pfi_phone_metadata(pfi_phone_meta **out, size_t *count)
{
    pfi_phone_meta *metas = nullptr;
    size_t n = 0;
    try {
        *out = nullptr;
        *count = 0;
        /* The same bytes PhoneNumberUtil parses when it starts. */
        PhoneMetadataCollection coll;
        if (!coll.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                 i18n::phonenumbers::metadata_size()))
            return false;
        metas = static_cast<pfi_phone_meta *>(
            calloc(coll.metadata_size() ? (size_t)coll.metadata_size() : 1, sizeof *metas));
        if (!metas)
            return false;
        for (const PhoneMetadata &m : coll.metadata()) {
            n++;
            copy_meta(m, &metas[n - 1]);
        }
        *out = metas;
        *count = n;
        return true;
    } catch (...) {
        metadata_free(metas, n);
        return false;
    }
}

extern "C" long pfi_phone_calling_codes(int *codes, size_t cap)
{
    try {
        std::set<int> set;
        util().GetSupportedCallingCodes(&set);
        size_t i = 0;
        for (int c : set) {
            if (i < cap)
                codes[i] = c;
            i++;
        }
        return (long)i;
    } catch (...) {
        return -1;
    }
}

extern "C" long pfi_phone_calling_code_regions(int calling_code, char (*regions)[4], size_t cap)
{
    try {
        std::list<std::string> list;
        util().GetRegionCodesForCountryCallingCode(calling_code, &list);
        size_t i = 0;
        for (const std::string &r : list) {
            if (i < cap)
                copy_out(r, regions[i], 4);
            i++;
        }
        return (long)i;
    } catch (...) {
        return -1;
    }
}

extern "C" pfi_phone_error pfi_phone_parse(const char *input, size_t len, const char *region,
                                           pfi_phone_info *info)
{
    try {
        memset(info, 0, sizeof *info);
        const PhoneNumberUtil &u = util();
        PhoneNumber num;
        std::string r = region && *region ? region : "ZZ";
        switch (u.Parse(std::string(input, len), r, &num)) {
        case PhoneNumberUtil::NO_PARSING_ERROR: break;
        case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return PFI_PHONE_INVALID_COUNTRY_CODE;
        case PhoneNumberUtil::NOT_A_NUMBER: return PFI_PHONE_NOT_A_NUMBER;
        case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return PFI_PHONE_TOO_SHORT_AFTER_IDD;
        case PhoneNumberUtil::TOO_SHORT_NSN: return PFI_PHONE_TOO_SHORT_NSN;
        case PhoneNumberUtil::TOO_LONG_NSN: return PFI_PHONE_TOO_LONG;
        }
        std::string e164;
        u.Format(num, PhoneNumberUtil::E164, &e164);
        copy_out(e164, info->e164, sizeof info->e164);
        info->calling_code = num.country_code();
        std::string rc;
        u.GetRegionCodeForNumber(num, &rc);
        if (rc == "ZZ") {
            /* Non-geographic entities (+800, +882 ...) carry region "001". */
            std::string main;
            u.GetRegionCodeForCountryCode(num.country_code(), &main);
            rc = main == "001" ? "001" : "";
        }
        copy_out(rc, info->region, sizeof info->region);
        info->type = type_to_pf(u.GetNumberType(num));
        info->valid = u.IsValidNumber(num);
        info->possible = u.IsPossibleNumber(num);
        return PFI_PHONE_OK;
    } catch (...) {
        return PFI_PHONE_EXCEPTION;
    }
}

extern "C" int pfi_phone_valid(const char *input, size_t len, const char *region)
{
    try {
        const PhoneNumberUtil &u = util();
        PhoneNumber num;
        std::string r = region && *region ? region : "ZZ";
        if (u.Parse(std::string(input, len), r, &num) != PhoneNumberUtil::NO_PARSING_ERROR)
            return 0;
        return u.IsValidNumber(num) ? 1 : 0;
    } catch (...) {
        return -1;
    }
}

extern "C" bool pfi_phone_region_supported(const char *region)
{
    try {
        /* 0 is libphonenumber's answer for any region it does not know. */
        return strlen(region) == 2 && util().GetCountryCodeForRegion(region) != 0;
    } catch (...) {
        return false;
    }
}

extern "C" int pfi_phone_region_calling_code(const char *region)
{
    try {
        return util().GetCountryCodeForRegion(region);
    } catch (...) {
        return 0;
    }
}

extern "C" long pfi_phone_regions(char (*regions)[3], size_t cap)
{
    try {
        std::set<std::string> set;
        util().GetSupportedRegions(&set);
        size_t i = 0;
        for (const std::string &r : set) {
            if (i < cap)
                copy_out(r, regions[i], 3);
            i++;
        }
        return (long)i;
    } catch (...) {
        return -1;
    }
}

extern "C" bool pfi_phone_example(const char *region, int type, char *buf, size_t cap)
{
    try {
        PhoneNumberUtil::PhoneNumberType t;
        if (!type_from_pf(type, &t))
            return false;
        const PhoneNumberUtil &u = util();
        PhoneNumber num;
        if (!u.GetExampleNumberForType(region, t, &num))
            return false;
        std::string e164;
        u.Format(num, PhoneNumberUtil::E164, &e164);
        copy_out(e164, buf, cap);
        return true;
    } catch (...) {
        return false;
    }
}

namespace
{

/*
 * The offline geocoder, loaded from libgeocoding.so.8 on first use rather
 * than linked (issue 20): its data tables carry about 458 000 relocations
 * that the dynamic loader would apply, and pages it would touch (some 7 ms
 * and 15 MB), at every start of every command, most of which never
 * describe a number. The class comes from its installed header; its
 * constructor and GetDescriptionForNumber are found by their Itanium C++
 * ABI names (the ABI g++ and clang++ use on Linux), the method called
 * through a member-function pointer so the compiler makes the call as for
 * any member function. One geocoder for the process, never destroyed: its
 * data loads lazily under its own lock, and lookups do not change it.
 */
#define PF_STR2(x) #x
#define PF_STR(x) PF_STR2(x)
typedef std::string (PhoneNumberOfflineGeocoder::*describe_fn)(const PhoneNumber &,
                                                               const icu::Locale &) const;

struct geocoder {
    alignas(PhoneNumberOfflineGeocoder) unsigned char storage[sizeof(PhoneNumberOfflineGeocoder)];
    const PhoneNumberOfflineGeocoder *self = nullptr;
    describe_fn describe = nullptr;
};

const geocoder *load_geocoder()
{
    static geocoder g;
    void *lib = dlopen("libgeocoding.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return nullptr;
    void *ctor = dlsym(lib, "_ZN4i18n12phonenumbers26PhoneNumberOfflineGeocoderC1Ev");
    void *fn = dlsym(lib, "_ZNK4i18n12phonenumbers26PhoneNumberOfflineGeocoder23GetDescriptionFor"
                          "NumberB5cxx11ERKNS0_11PhoneNumberERKN6icu_" PF_STR(
                              U_ICU_VERSION_MAJOR_NUM) "6LocaleE");
    if (!ctor || !fn)
        return nullptr; /* kept mapped: harmless */
    /* A non-virtual member function pointer is {address, this-adjustment 0}. */
    struct {
        void *ptr;
        ptrdiff_t adj;
    } raw = {fn, 0};
    static_assert(sizeof raw == sizeof(describe_fn), "Itanium member function pointers");
    std::memcpy(&g.describe, &raw, sizeof raw);
    void (*construct)(void *);
    std::memcpy(&construct, &ctor, sizeof ctor);
    construct(g.storage);
    g.self = reinterpret_cast<const PhoneNumberOfflineGeocoder *>(g.storage);
    return &g;
}

} // namespace

/* The geocoder's file: beside libphonenumber.so, where the loader will find
 * libgeocoding.so.8 (a cache of its answers is keyed by it, phone_dl.c). */
static bool extra_files(char *buf, size_t cap)
{
    Dl_info info;
    char lib[PATH_MAX], geo[PATH_MAX + 32];
    /* A function libphonenumber.so defines (not a PLT stub of ours). */
    if (!dladdr(reinterpret_cast<void *>(&i18n::phonenumbers::metadata_get), &info) ||
        !info.dli_fname || !realpath(info.dli_fname, lib))
        return false;
    const char *slash = std::strrchr(lib, '/');
    if (!slash)
        return false;
    /* Named even when absent: the identity records that (phone_dl.c), and
     * the geocoder's arrival changes it. */
    std::snprintf(geo, sizeof geo, "%.*s/libgeocoding.so.8", (int)(slash - lib), lib);
    int n = std::snprintf(buf, cap, "%s\n", geo);
    return n > 0 && (size_t)n < cap;
}

extern "C" bool pfi_phone_describe(const char *input, size_t len, char *buf, size_t cap)
{
    try {
        static const geocoder *geo = load_geocoder(); /* once, thread-safe (C++11) */
        if (!geo)
            return false;
        PhoneNumber num;
        if (util().Parse(std::string(input, len), "ZZ", &num) != PhoneNumberUtil::NO_PARSING_ERROR)
            return false;
        std::string d = (geo->self->*geo->describe)(num, icu::Locale("en", "US"));
        if (d.empty())
            return false;
        copy_out(d, buf, cap);
        return true;
    } catch (...) {
        return false;
    }
}

extern "C" long pfi_phone_find(const char *text, size_t len, const char *region, size_t *starts,
                               size_t *ends, int *types, size_t cap)
{
    try {
        std::string r = region && *region ? region : "ZZ";
        PhoneNumberMatcher m(util(), std::string(text, len), r, PhoneNumberMatcher::VALID,
                             /* max_tries: libphonenumber's own default bound */ 65535);
        size_t n = 0;
        PhoneNumberMatch match;
        while (m.HasNext() && m.Next(&match)) {
            if (n < cap) {
                starts[n] = (size_t)match.start();
                ends[n] = (size_t)match.start() + match.raw_string().size();
                if (types)
                    types[n] = type_to_pf(util().GetNumberType(match.number()));
            }
            n++;
        }
        return (long)n;
    } catch (...) {
        return -1;
    }
}

/* The module's one exported symbol (phone_module.h). */
extern "C" __attribute__((visibility("default"))) const struct pfi_phone_module *
pfi_phone_module_v1(void)
{
    static const struct pfi_phone_module table = {
        PFI_PHONE_MODULE_ABI,
        sizeof(struct pfi_phone_module),
        PF_VERSION_STRING,
        PF_BUILD_ID,
        pfi_phone_parse,
        pfi_phone_region_supported,
        pfi_phone_region_calling_code,
        pfi_phone_regions,
        pfi_phone_example,
        pfi_phone_describe,
        pfi_phone_find,
        pfi_phone_metadata,
        pfi_phone_calling_codes,
        pfi_phone_calling_code_regions,
        extra_files,
        pfi_icu_zone_open,
        pfi_icu_zone_close,
        pfi_icu_local_time,
        pfi_icu_offsets,
        pfi_icu_region_ids,
        pfi_icu_zone_in_region,
        pfi_icu_is_decimal_digit,
        pfi_phone_valid,
    };
    return &table;
}
