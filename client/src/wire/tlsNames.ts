/** Names from the TLS registries (IANA "TLS Parameters"), for the ones a browser or Node sends. */

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a … 0xfafa, sent to keep servers tolerant of unknown values. */
export function isGrease(n: number): boolean {
  return (n & 0x0f0f) === 0x0a0a && n >> 12 === ((n >> 4) & 0xf);
}

export const contentTypes: Record<number, string> = {
  20: 'change_cipher_spec',
  21: 'alert',
  22: 'handshake',
  23: 'application_data',
  24: 'heartbeat',
};

export const handshakeTypes: Record<number, string> = {
  0: 'hello_request',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  24: 'KeyUpdate',
  254: 'message_hash',
};

const versions: Record<number, string> = { 0x0300: 'SSL 3.0', 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };

export function versionName(v: number): string {
  return versions[v] ?? (isGrease(v) ? `GREASE ${hex4(v)}` : hex4(v));
}

const suites: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0x1304: 'TLS_AES_128_CCM_SHA256',
  0x1305: 'TLS_AES_128_CCM_8_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xccaa: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xc009: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  0xc00a: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  0xc013: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  0xc014: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  0xc023: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  0xc024: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc028: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0x009e: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  0x009f: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  0x003c: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  0x003d: 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  0x0067: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  0x006b: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  0x000a: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  0x5600: 'TLS_FALLBACK_SCSV',
};

export function cipherSuiteName(n: number): string {
  return suites[n] ?? (isGrease(n) ? `GREASE ${hex4(n)}` : `cipher suite ${hex4(n)}`);
}

const extensions: Record<number, string> = {
  0: 'server_name',
  1: 'max_fragment_length',
  5: 'status_request',
  10: 'supported_groups',
  11: 'ec_point_formats',
  13: 'signature_algorithms',
  14: 'use_srtp',
  15: 'heartbeat',
  16: 'application_layer_protocol_negotiation',
  18: 'signed_certificate_timestamp',
  21: 'padding',
  22: 'encrypt_then_mac',
  23: 'extended_master_secret',
  27: 'compress_certificate',
  28: 'record_size_limit',
  35: 'session_ticket',
  41: 'pre_shared_key',
  42: 'early_data',
  43: 'supported_versions',
  44: 'cookie',
  45: 'psk_key_exchange_modes',
  47: 'certificate_authorities',
  49: 'post_handshake_auth',
  50: 'signature_algorithms_cert',
  51: 'key_share',
  57: 'quic_transport_parameters',
  0x4469: 'application_settings (old)',
  0x44cd: 'application_settings',
  0xfe0d: 'encrypted_client_hello',
  0xff01: 'renegotiation_info',
};

const extensionMeanings: Record<number, string> = {
  5: 'asks the server to staple a fresh certificate status (OCSP) to its certificate (RFC 6066 §8)',
  11: 'the elliptic-curve point formats the client accepts, a TLS 1.2 leftover (RFC 8422 §5.1.2)',
  18: 'asks for the certificate’s Certificate Transparency timestamps (RFC 6962 §3.3.1)',
  22: 'asks for encrypt-then-MAC in TLS 1.2 CBC suites (RFC 7366)',
  23: 'binds the TLS 1.2 master secret to the whole handshake (RFC 7627)',
  27: 'says which compression the client accepts for the server’s certificate, to save bytes (RFC 8879)',
  28: 'the largest record the client is willing to receive (RFC 8449)',
  35: 'a TLS 1.2 session ticket to resume with; empty means “send me one” (RFC 5077)',
  41: 'offers a pre-shared key to resume an earlier session (RFC 8446 §4.2.11)',
  42: 'says early data (0-RTT) follows (RFC 8446 §4.2.10)',
  44: 'a cookie the server sent in a HelloRetryRequest, echoed (RFC 8446 §4.2.2)',
  0x4469: 'application settings (ALPS) for the protocol ALPN picks; a Chromium experiment',
  0x44cd: 'application settings (ALPS) for the protocol ALPN picks, sent by Chromium with HTTP/2',
  0xff01: 'says the client supports secure renegotiation (RFC 5746)',
};

/** What an extension is for, when known. */
export function extensionMeaning(n: number): string | undefined {
  return extensionMeanings[n];
}

export function extensionName(n: number): string {
  return extensions[n] ?? (isGrease(n) ? `GREASE ${hex4(n)}` : `extension ${n}`);
}

const groups: Record<number, string> = {
  23: 'secp256r1',
  24: 'secp384r1',
  25: 'secp521r1',
  29: 'x25519',
  30: 'x448',
  256: 'ffdhe2048',
  257: 'ffdhe3072',
  258: 'ffdhe4096',
  0x11ec: 'X25519MLKEM768',
  0x6399: 'X25519Kyber768Draft00',
};

export function groupName(n: number): string {
  return groups[n] ?? (isGrease(n) ? `GREASE ${hex4(n)}` : `group ${hex4(n)}`);
}

const signatureSchemes: Record<number, string> = {
  0x0201: 'rsa_pkcs1_sha1',
  0x0203: 'ecdsa_sha1',
  0x0401: 'rsa_pkcs1_sha256',
  0x0501: 'rsa_pkcs1_sha384',
  0x0601: 'rsa_pkcs1_sha512',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
  0x0904: 'mldsa44',
  0x0905: 'mldsa65',
  0x0906: 'mldsa87',
};

export function signatureSchemeName(n: number): string {
  return signatureSchemes[n] ?? (isGrease(n) ? `GREASE ${hex4(n)}` : hex4(n));
}

const alerts: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(n: number): string {
  return alerts[n] ?? `alert ${n}`;
}
