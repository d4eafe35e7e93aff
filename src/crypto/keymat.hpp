// The IKEv2 key schedule as pure functions, one per RFC formula: prf+ (RFC 7296 §2.13),
// SKEYSEED and SK_* (§2.14, §2.18), KEYMAT (§2.17), the AUTH octets (§2.15), the NAT
// detection hash (§2.23) and the cookie hash (§2.6). No state, no logging.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ike/crypto_provider.hpp"
#include "ike/types.hpp"

namespace ike::crypto {

/// RFC 7296 §2.13: prf+(K, S) = T1 | T2 | ..., T1 = prf(K, S | 0x01),
/// Tn = prf(K, T(n-1) | S | n); returns the first `length` octets.
/// Throws std::invalid_argument when length > 255 * prf.output_size().
Secret prf_plus(const Prf& prf, Octets key, Octets seed, std::size_t length);

/// RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir); prf.output_size() octets. For the fixed-key
/// PRFs (AES128-XCBC, AES128-CMAC) only the first 64 bits of Ni and of Nr form the key
/// (all of a nonce shorter than 8 octets).
Secret SKEYSEED(const Prf& prf, Octets Ni, Octets Nr, Octets g_ir);

/// The seven IKE SA keys of RFC 7296 §2.14. SK_d, SK_pi, SK_pr: prf.key_size() octets;
/// SK_ai, SK_ar: integ_key_size; SK_ei, SK_er: encr_key_size (including any AEAD salt).
struct Ike_sa_keys {
    Secret SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr;
};

/// RFC 7296 §2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
///   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), SPIs as 8 octets in network order.
/// integ_key_size is 0 for AEAD ciphers (RFC 5282 §7). Throws std::invalid_argument when the
/// total exceeds 255 * prf.output_size().
Ike_sa_keys derive_ike_sa_keys(const Prf& prf, Octets skeyseed, Octets Ni, Octets Nr, Spi SPIi,
                               Spi SPIr, std::size_t integ_key_size,
                               std::size_t encr_key_size);

/// RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the nonces of the
/// CREATE_CHILD_SA exchange that rekeys the IKE SA; prf.output_size() octets.
Secret SKEYSEED_rekey(const Prf& prf, Octets SK_d_old, Octets g_ir_new, Octets Ni, Octets Nr);

/// RFC 7296 §2.17: KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) when
/// g_ir is not empty (CREATE_CHILD_SA with KE). `length` octets; throws std::invalid_argument
/// when length > 255 * prf.output_size().
Secret KEYMAT(const Prf& prf, Octets SK_d, Octets g_ir, Octets Ni, Octets Nr,
              std::size_t length);

/// One Child SA's keys; `_i` is the initiator-to-responder direction (of the exchange that
/// created the Child SA), `_r` the responder-to-initiator one.
struct Child_sa_keys {
    Secret encr_i, integ_i, encr_r, integ_r;
};

/// RFC 7296 §2.17: the initiator-to-responder encryption key first, then its integrity key,
/// then the responder-to-initiator keys. Needs keymat.size >= 2 * (encr + integ) octets,
/// else throws std::invalid_argument; extra octets are ignored.
Child_sa_keys split_KEYMAT(Octets keymat, std::size_t encr_key_size,
                           std::size_t integ_key_size);

/// RFC 7296 §2.15: InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, with
/// MACedIDForI = prf(SK_pi, RestOfInitIDPayload) where RestOfInitIDPayload is the ID payload
/// body after the generic header (ID Type, 3 reserved octets, identification data). The
/// responder's octets have the same shape (RealMessage2 | NonceIData | prf(SK_pr, IDr body)).
/// Returns real_message.size + peer_nonce.size + prf.output_size() octets.
Bytes signed_octets(const Prf& prf, Octets real_message, Octets peer_nonce, Octets SK_p,
                    Octets id_payload_body);

/// RFC 7296 §2.15: AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>),
/// the pad being the 17 ASCII octets without a terminating NUL; prf.output_size() octets.
Secret psk_auth(const Prf& prf, Octets shared_secret, Octets signed_octets);

/// RFC 7296 §2.23: NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP data =
/// SHA-1(SPIi | SPIr | IP address | port); SPIs 8 octets and port 2 octets in network order,
/// ip 4 or 16 octets. Returns 20 octets.
Bytes nat_detection_hash(Spi SPIi, Spi SPIr, Octets ip, std::uint16_t port);

/// RFC 7296 §2.6: the hash part of a stateless cookie, SHA-256(Ni | IPi | SPIi | <secret>)
/// in the RFC's order; SPIi is the 8 wire octets. The caller prefixes <VersionIDofSecret>.
/// Returns 32 octets.
Bytes cookie_hash(Octets secret, Octets Ni, Octets ip_i, Octets SPIi);

}  // namespace ike::crypto
