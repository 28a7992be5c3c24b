// Stamps the corpus INF templates (virtio-win .inx, Xen .inf) with the values their builds use,
// as recorded in the expected JSONs' template_tokens.

/** Build values of the virtio-win and Xen templates (from the expected JSONs' template_tokens). */
export function stampTemplate(text: string, arch: 'amd64' | 'x86'): string {
  return text
    .replace(/NT\$ARCH\$/g, `NT${arch}`)
    .replace(/_INX_SUBSYS_VENDOR_ID/g, '1AF4')
    .replace(/INX_PLATFORM_DRIVERS_DIR/g, '12')
    .replace(/INX_COMPANY/g, 'Red Hat, Inc.')
    .replace(/INX_PREFIX_VENDOR/g, 'Red Hat ')
    .replace(/\$KMDFVERSION\$/g, '1.15')
    .replace(/@(MAJOR|MINOR|MICRO)_VERSION@/g, '9')
    .replace(/@BUILD_NUMBER@/g, '0');
}

