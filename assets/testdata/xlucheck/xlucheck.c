/*
 * xlucheck: reads xl.cfg files with Xen's own parser, libxlutil (Debian's libxen-dev), and
 * prints what it understood as JSON, so that assets/guests_test.go can compare it with the
 * values the XenNix module declared. No hypervisor or libxl context is needed: only the
 * config parser (xlu_cfg_*), the disk-spec parser (xlu_disk_parse) and the PCI-spec parser
 * (xlu_pci_parse_spec_string), the same functions `xl create` calls (tools/xl/xl_parse.c).
 *
 *   cc -o xlucheck xlucheck.c -lxlutil -lxenlight
 *   xlucheck FILE KEY...
 *
 * Output, one JSON object: {"file": F, "values": {KEY: "s" | ["s", ...] | null},
 * "disks": [...], "pci": [...]}. A value the parser did not find is null. Exit status 1 when
 * the file does not parse (libxlutil's message is on stderr), 2 for a disk or PCI spec it
 * refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        default:
            if (*p < 0x20)
                printf("\\u%04x", *p);
            else
                putchar(*p);
        }
    }
    putchar('"');
}

static void json_string_or_null(const char *s)
{
    if (s)
        json_string(s);
    else
        fputs("null", stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xlucheck FILE KEY...\n");
        return 64;
    }
    const char *file = argv[1];
    XLU_Config *cfg = xlu_cfg_init(stderr, file);
    if (!cfg) {
        perror("xlu_cfg_init");
        return 1;
    }
    if (xlu_cfg_readfile(cfg, file)) {
        fprintf(stderr, "%s: libxlutil could not parse the file\n", file);
        return 1;
    }

    printf("{\"file\": ");
    json_string(file);
    printf(", \"values\": {");
    for (int i = 2; i < argc; i++) {
        const char *key = argv[i];
        const char *s;
        XLU_ConfigList *list;
        int n;
        if (i > 2)
            printf(", ");
        json_string(key);
        printf(": ");
        if (!xlu_cfg_get_string(cfg, key, &s, 1)) {
            json_string(s);
        } else if (!xlu_cfg_get_list(cfg, key, &list, &n, 1)) {
            printf("[");
            for (int j = 0; j < n; j++) {
                if (j)
                    printf(", ");
                json_string_or_null(xlu_cfg_get_listitem(list, j));
            }
            printf("]");
        } else {
            printf("null");
        }
    }
    printf("}");

    /* Disks, as xl_parse.c parse_disk_config does it: one spec string per call. */
    XLU_ConfigList *disks;
    int ndisks;
    printf(", \"disks\": [");
    if (!xlu_cfg_get_list(cfg, "disk", &disks, &ndisks, 1)) {
        for (int j = 0; j < ndisks; j++) {
            const char *spec = xlu_cfg_get_listitem(disks, j);
            libxl_device_disk d;
            libxl_device_disk_init(&d);
            if (!spec || xlu_disk_parse(cfg, 1, &spec, &d)) {
                fprintf(stderr, "%s: disk %d: libxlutil refused the spec %s\n", file, j, spec ? spec : "(not a string)");
                return 2;
            }
            if (j)
                printf(", ");
            printf("{\"target\": ");
            json_string_or_null(d.pdev_path);
            printf(", \"vdev\": ");
            json_string_or_null(d.vdev);
            printf(", \"format\": ");
            json_string_or_null(libxl_disk_format_to_string(d.format));
            printf(", \"backend\": ");
            json_string_or_null(libxl_disk_backend_to_string(d.backend));
            printf(", \"readwrite\": %s, \"cdrom\": %s, \"script\": ", d.readwrite ? "true" : "false", d.is_cdrom ? "true" : "false");
            json_string_or_null(d.script);
            printf("}");
        }
    }
    printf("]");

    /* PCI devices, as xl_parse.c does it for the pci list. */
    XLU_ConfigList *pcis;
    int npci;
    printf(", \"pci\": [");
    if (!xlu_cfg_get_list(cfg, "pci", &pcis, &npci, 1)) {
        for (int j = 0; j < npci; j++) {
            const char *spec = xlu_cfg_get_listitem(pcis, j);
            libxl_device_pci p;
            libxl_device_pci_init(&p);
            if (!spec || xlu_pci_parse_spec_string(cfg, &p, spec)) {
                fprintf(stderr, "%s: pci %d: libxlutil refused the spec %s\n", file, j, spec ? spec : "(not a string)");
                return 2;
            }
            if (j)
                printf(", ");
            printf("{\"bdf\": \"%04x:%02x:%02x.%x\", \"permissive\": %s, \"seize\": %s}", p.domain, p.bus, p.dev, p.func,
                   p.permissive ? "true" : "false", p.seize ? "true" : "false");
        }
    }
    printf("]}\n");
    xlu_cfg_destroy(cfg);
    return 0;
}
