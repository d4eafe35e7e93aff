// Public keys, private keys, X.509 certificates and path validation with Botan 2.19
// (RFC 5280 §6, RFC 4945 §3.1, RFC 7427 §3, RFC 8420), behind include/ike/crypto_provider.hpp.
#include "src/crypto/x509.hpp"

#include <botan/ber_dec.h>
#include <botan/certstor.h>
#include <botan/data_src.h>
#include <botan/der_enc.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/hash.h>
#include <botan/oids.h>
#include <botan/pem.h>
#include <botan/pk_keys.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/rng.h>
#include <botan/rsa.h>
#include <botan/x509_ca.h>
#include <botan/x509_key.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>
#include <botan/x509self.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ike {
namespace {

/// Botan's RandomNumberGenerator drawing from an ike::Crypto_provider, so that a seeded
/// provider makes signatures and generated keys reproducible.
class Provider_rng final : public Botan::RandomNumberGenerator {
public:
    explicit Provider_rng(Crypto_provider& p) : p_(p) {}
    void randomize(std::uint8_t output[], std::size_t length) override {
        const Bytes r = p_.random(length);
        std::copy(r.begin(), r.end(), output);
    }
    bool accepts_input() const override { return false; }
    void add_entropy(const std::uint8_t[], std::size_t) override {}
    std::string name() const override { return "ike::Crypto_provider"; }
    void clear() override {}
    bool is_seeded() const override { return true; }

private:
    Crypto_provider& p_;
};

/// The padding / EMSA name and hash of a scheme (Botan 2 spellings).
const char* emsa(Signature_scheme s) {
    switch (s) {
        case Signature_scheme::RSA_PKCS1_SHA1: return "EMSA3(SHA-1)";
        case Signature_scheme::RSA_PKCS1_SHA256: return "EMSA3(SHA-256)";
        case Signature_scheme::RSA_PKCS1_SHA384: return "EMSA3(SHA-384)";
        case Signature_scheme::RSA_PKCS1_SHA512: return "EMSA3(SHA-512)";
        // RFC 8247 §3.2 / RFC 7427 A.4: MGF1 with the same hash, salt length = hash length
        case Signature_scheme::RSA_PSS_SHA256: return "PSSR(SHA-256,MGF1,32)";
        case Signature_scheme::RSA_PSS_SHA384: return "PSSR(SHA-384,MGF1,48)";
        case Signature_scheme::RSA_PSS_SHA512: return "PSSR(SHA-512,MGF1,64)";
        case Signature_scheme::ECDSA_SHA256: return "EMSA1(SHA-256)";
        case Signature_scheme::ECDSA_SHA384: return "EMSA1(SHA-384)";
        case Signature_scheme::ECDSA_SHA512: return "EMSA1(SHA-512)";
        case Signature_scheme::Ed25519: return "Pure";
    }
    return "";
}

bool fits(Signature_scheme s, Key_algorithm k) {
    switch (s) {
        case Signature_scheme::RSA_PKCS1_SHA1:
        case Signature_scheme::RSA_PKCS1_SHA256:
        case Signature_scheme::RSA_PKCS1_SHA384:
        case Signature_scheme::RSA_PKCS1_SHA512:
        case Signature_scheme::RSA_PSS_SHA256:
        case Signature_scheme::RSA_PSS_SHA384:
        case Signature_scheme::RSA_PSS_SHA512: return k == Key_algorithm::RSA;
        case Signature_scheme::ECDSA_SHA256:
        case Signature_scheme::ECDSA_SHA384:
        case Signature_scheme::ECDSA_SHA512:
            return k == Key_algorithm::ECDSA_P256 || k == Key_algorithm::ECDSA_P384 || k == Key_algorithm::ECDSA_P521;
        case Signature_scheme::Ed25519: return k == Key_algorithm::Ed25519;
    }
    return false;
}

Key_algorithm classify(const Botan::Public_Key& k) {
    const std::string name = k.algo_name();
    if (name == "RSA") return Key_algorithm::RSA;
    if (name == "Ed25519") return Key_algorithm::Ed25519;
    if (name == "ECDSA") {
        const auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(&k);
        if (!ec) return Key_algorithm::other;
        const std::string curve = ec->domain().get_curve_oid().to_formatted_string();
        if (curve == "secp256r1") return Key_algorithm::ECDSA_P256;
        if (curve == "secp384r1") return Key_algorithm::ECDSA_P384;
        if (curve == "secp521r1") return Key_algorithm::ECDSA_P521;
    }
    return Key_algorithm::other;
}

Botan::Signature_Format botan_format(Ecdsa_format f, Key_algorithm k) {
    const bool ecdsa = k == Key_algorithm::ECDSA_P256 || k == Key_algorithm::ECDSA_P384 || k == Key_algorithm::ECDSA_P521;
    return ecdsa && f == Ecdsa_format::der ? Botan::DER_SEQUENCE : Botan::IEEE_1363;
}

class Botan_public_key final : public Public_key {
public:
    explicit Botan_public_key(std::unique_ptr<Botan::Public_Key> k)
        : key_(std::move(k)), algorithm_(classify(*key_)), spki_(key_->subject_public_key()) {}

    Key_algorithm algorithm() const override { return algorithm_; }
    std::size_t bits() const override { return key_->key_length(); }
    bool verify(Signature_scheme scheme, Octets message, Octets signature, Ecdsa_format format) const override {
        if (signature.empty() || !fits(scheme, algorithm_)) return false;
        try {
            Botan::PK_Verifier v(*key_, emsa(scheme), botan_format(format, algorithm_));
            return v.verify_message(message.data, message.size, signature.data, signature.size);
        } catch (const std::exception&) {
            return false;
        }
    }
    const Bytes& subject_public_key_info() const override { return spki_; }
    Bytes spki_sha1() const override {
        auto h = Botan::HashFunction::create_or_throw("SHA-1");
        h->update(spki_.data(), spki_.size());
        const auto d = h->final();
        return Bytes(d.begin(), d.end());
    }

private:
    std::unique_ptr<Botan::Public_Key> key_;
    Key_algorithm algorithm_;
    Bytes spki_;
};

class Botan_private_key final : public Private_key {
public:
    explicit Botan_private_key(std::unique_ptr<Botan::Private_Key> k)
        : key_(std::move(k)), algorithm_(classify(*key_)) {
        public_ = std::make_shared<Botan_public_key>(std::unique_ptr<Botan::Public_Key>(Botan::X509::load_key(key_->subject_public_key())));
    }
    Key_algorithm algorithm() const override { return algorithm_; }
    std::size_t bits() const override { return key_->key_length(); }
    Bytes sign(Signature_scheme scheme, Octets message, Crypto_provider& rng, Ecdsa_format format) const override {
        if (!fits(scheme, algorithm_)) {
            throw std::invalid_argument(to_string(scheme) + " does not fit a " + to_string(algorithm_) + " key");
        }
        Provider_rng r(rng);
        Botan::PK_Signer s(*key_, r, emsa(scheme), botan_format(format, algorithm_));
        const auto sig = s.sign_message(message.data, message.size, r);
        return Bytes(sig.begin(), sig.end());
    }
    std::shared_ptr<const Public_key> public_key() const override { return public_; }
    const Botan::Private_Key& botan() const { return *key_; }

private:
    std::unique_ptr<Botan::Private_Key> key_;
    Key_algorithm algorithm_;
    std::shared_ptr<const Public_key> public_;
};

// RFC 4514 §3 short names of the usual attribute types.
std::string short_name(const std::string& botan_name) {
    static const std::pair<const char*, const char*> names[] = {
        {"X520.Country", "C"},       {"X520.Organization", "O"}, {"X520.OrganizationalUnit", "OU"},
        {"X520.CommonName", "CN"},   {"X520.Locality", "L"},     {"X520.State", "ST"},
        {"PKCS9.EmailAddress", "E"}, {"X520.SerialNumber", "serialNumber"}, {"X520.Surname", "SN"},
        {"X520.GivenName", "G"},     {"X520.Title", "T"},        {"X520.DNQualifier", "dnQualifier"},
        {"X520.Pseudonym", "pseudonym"}, {"X520.StreetAddress", "street"}, {"X520.PostalCode", "postalCode"},
    };
    for (const auto& [from, to] : names) {
        if (botan_name == from) return to;
    }
    return botan_name;
}

class Botan_certificate final : public Certificate {
public:
    explicit Botan_certificate(Botan::X509_Certificate c)
        : cert_(std::move(c)), der_(cert_.BER_encode()),
          key_(std::make_shared<Botan_public_key>(std::unique_ptr<Botan::Public_Key>(cert_.subject_public_key()))) {}

    const Bytes& der() const override { return der_; }
    const Public_key& public_key() const override { return *key_; }
    std::shared_ptr<const Public_key> shared_public_key() const override { return key_; }
    std::string subject() const override {
        // Botan prints "C=CH,O=ikeref,CN=..." in its own order; give RFC 4514-like text.
        std::string out;
        for (const auto& [oid, value] : cert_.subject_dn().dn_info()) {
            if (!out.empty()) out += ", ";
            out += short_name(oid.to_formatted_string()) + "=" + value.value();
        }
        return out;
    }
    Bytes subject_der() const override { return cert_.raw_subject_dn(); }
    bool is_ca() const override { return cert_.is_CA_cert(); }
    bool matches_identity(Id_type type, Octets data) const override {
        try {
            switch (type) {
                case Id_type::ID_DER_ASN1_DN: {
                    Botan::X509_DN dn;
                    Botan::BER_Decoder(data.data, data.size).decode(dn).verify_end();
                    return dn == cert_.subject_dn();
                }
                case Id_type::ID_FQDN: return san_has("DNS", std::string(data.begin(), data.end()));
                case Id_type::ID_RFC822_ADDR: return san_has("RFC822", std::string(data.begin(), data.end()));
                case Id_type::ID_IPV4_ADDR:
                    if (data.size != 4) return false;
                    return san_has("IP", std::to_string(data[0]) + "." + std::to_string(data[1]) + "." +
                                             std::to_string(data[2]) + "." + std::to_string(data[3]));
                default: return false;  // ID_IPV6_ADDR: Botan 2.19 drops IPv6 iPAddress entries
            }
        } catch (const std::exception&) {
            return false;
        }
    }
    const Botan::X509_Certificate& botan() const { return cert_; }

private:
    bool san_has(const std::string& attr, const std::string& value) const {
        auto lower = [](std::string s) {
            std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            return s;
        };
        for (const auto& v : cert_.subject_alt_name().get_attribute(attr)) {
            if (lower(v) == lower(value)) return true;
        }
        return false;
    }

    Botan::X509_Certificate cert_;
    Bytes der_;
    std::shared_ptr<const Public_key> key_;
};

bool looks_like_pem(Octets o) {
    static const std::string begin = "-----BEGIN";
    return std::search(o.begin(), o.end(), begin.begin(), begin.end()) != o.end();
}

// SEC1 ECPrivateKey (RFC 5915 §3) with its curve in [0] parameters, as `pki --gen --type ecdsa`
// writes it: Botan takes the same structure with the curve in the AlgorithmIdentifier.
std::unique_ptr<Botan::Private_Key> load_sec1(const Botan::secure_vector<std::uint8_t>& der) {
    std::size_t version = 0;
    Botan::secure_vector<std::uint8_t> d;
    Botan::OID curve;
    Botan::BER_Decoder(der)
        .start_cons(Botan::SEQUENCE)
        .decode(version)
        .decode(d, Botan::OCTET_STRING)
        .decode_optional(curve, Botan::ASN1_Tag(0),
                         Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC), Botan::OID());
    if (version != 1 || curve.empty()) throw std::invalid_argument("SEC1 key without curve");
    std::vector<std::uint8_t> params;
    Botan::DER_Encoder(params).encode(curve);
    const Botan::AlgorithmIdentifier alg(Botan::OID::from_string("ECDSA"), params);
    return std::make_unique<Botan::ECDSA_PrivateKey>(alg, der);
}

std::unique_ptr<Botan::Private_Key> load_pkcs1_rsa(const Botan::secure_vector<std::uint8_t>& der) {
    const Botan::AlgorithmIdentifier alg(Botan::OID::from_string("RSA"), Botan::AlgorithmIdentifier::USE_NULL_PARAM);
    return std::make_unique<Botan::RSA_PrivateKey>(alg, der);
}

std::unique_ptr<Botan::Private_Key> load_pkcs8(const Botan::secure_vector<std::uint8_t>& der) {
    Botan::DataSource_Memory src(der);
    return Botan::PKCS8::load_key(src);
}

const Botan_certificate* as_botan(const Certificate& c) { return dynamic_cast<const Botan_certificate*>(&c); }
const Botan_private_key& as_botan(const Private_key& k) {
    const auto* b = dynamic_cast<const Botan_private_key*>(&k);
    if (!b) throw std::invalid_argument("private key not made by the Botan provider");
    return *b;
}

Botan::X509_Cert_Options options(const crypto::Certificate_request& r) {
    Botan::X509_Cert_Options o;
    o.common_name = r.common_name;
    o.organization = r.organization;
    o.country = r.country;
    if (!r.dns.empty()) {
        o.dns = r.dns[0];
        o.more_dns.assign(r.dns.begin() + 1, r.dns.end());
    }
    o.email = r.email;
    o.ip = r.ip;
    o.start = Botan::X509_Time(r.not_before);
    o.end = Botan::X509_Time(r.not_after);
    if (r.ca) o.CA_key(1);
    return o;
}

}  // namespace

std::string to_string(Signature_scheme s) {
    switch (s) {
        case Signature_scheme::RSA_PKCS1_SHA1: return "RSA-PKCS1/SHA-1";
        case Signature_scheme::RSA_PKCS1_SHA256: return "RSA-PKCS1/SHA-256";
        case Signature_scheme::RSA_PKCS1_SHA384: return "RSA-PKCS1/SHA-384";
        case Signature_scheme::RSA_PKCS1_SHA512: return "RSA-PKCS1/SHA-512";
        case Signature_scheme::RSA_PSS_SHA256: return "RSA-PSS/SHA-256";
        case Signature_scheme::RSA_PSS_SHA384: return "RSA-PSS/SHA-384";
        case Signature_scheme::RSA_PSS_SHA512: return "RSA-PSS/SHA-512";
        case Signature_scheme::ECDSA_SHA256: return "ECDSA/SHA-256";
        case Signature_scheme::ECDSA_SHA384: return "ECDSA/SHA-384";
        case Signature_scheme::ECDSA_SHA512: return "ECDSA/SHA-512";
        case Signature_scheme::Ed25519: return "Ed25519";
    }
    return "?";
}

std::string to_string(Key_algorithm k) {
    switch (k) {
        case Key_algorithm::RSA: return "RSA";
        case Key_algorithm::ECDSA_P256: return "ECDSA-P256";
        case Key_algorithm::ECDSA_P384: return "ECDSA-P384";
        case Key_algorithm::ECDSA_P521: return "ECDSA-P521";
        case Key_algorithm::Ed25519: return "Ed25519";
        case Key_algorithm::other: break;
    }
    return "other";
}

std::shared_ptr<const Certificate> parse_certificate(Octets der_or_pem, std::string* error) {
    try {
        Botan::DataSource_Memory src(der_or_pem.data, der_or_pem.size);
        return std::make_shared<Botan_certificate>(Botan::X509_Certificate(src));
    } catch (const std::exception& e) {
        if (error) *error = std::string("not an X.509 certificate: ") + e.what();
        return nullptr;
    }
}

std::shared_ptr<const Private_key> parse_private_key(Octets der_or_pem, std::string* error) {
    try {
        std::unique_ptr<Botan::Private_Key> k;
        if (looks_like_pem(der_or_pem)) {
            std::string label;
            const auto der = Botan::PEM_Code::decode(std::string(der_or_pem.begin(), der_or_pem.end()), label);
            if (label == "PRIVATE KEY") {
                k = load_pkcs8(der);
            } else if (label == "RSA PRIVATE KEY") {
                k = load_pkcs1_rsa(der);
            } else if (label == "EC PRIVATE KEY") {
                k = load_sec1(der);
            } else {
                throw std::invalid_argument("PEM label '" + label + "' is not an unencrypted private key");
            }
        } else {
            const Botan::secure_vector<std::uint8_t> der(der_or_pem.begin(), der_or_pem.end());
            for (auto* load : {&load_pkcs8, &load_pkcs1_rsa, &load_sec1}) {
                try {
                    k = load(der);
                    break;
                } catch (const std::exception&) {
                }
            }
            if (!k) throw std::invalid_argument("DER is neither PKCS#8, PKCS#1 nor SEC1");
        }
        if (classify(*k) == Key_algorithm::other) throw std::invalid_argument("unsupported key algorithm " + k->algo_name());
        return std::make_shared<Botan_private_key>(std::move(k));
    } catch (const std::exception& e) {
        if (error) *error = std::string("not a private key: ") + e.what();
        return nullptr;
    }
}

std::optional<std::string> validate_chain(const Certificate& end_entity,
                                          const std::vector<std::shared_ptr<const Certificate>>& intermediates,
                                          const std::vector<std::shared_ptr<const Certificate>>& trust_anchors,
                                          std::chrono::system_clock::time_point when) {
    try {
        const auto* ee = as_botan(end_entity);
        if (!ee) return std::string("certificate not parsed by the Botan provider");
        if (trust_anchors.empty()) return std::string("no CA certificate configured");
        Botan::Certificate_Store_In_Memory store;
        for (const auto& ca : trust_anchors) {
            if (const auto* b = ca ? as_botan(*ca) : nullptr) store.add_certificate(b->botan());
        }
        std::vector<Botan::X509_Certificate> chain{ee->botan()};
        for (const auto& c : intermediates) {
            if (const auto* b = c ? as_botan(*c) : nullptr) chain.push_back(b->botan());
        }
        const Botan::Path_Validation_Restrictions restrictions(false, 110);
        const auto result = Botan::x509_path_validate(chain, restrictions, store, "", Botan::Usage_Type::UNSPECIFIED, when);
        if (result.successful_validation()) return std::nullopt;
        const std::string why = result.result_string();
        if (result.result() == Botan::Certificate_Status_Code::CERT_ISSUER_NOT_FOUND ||
            result.result() == Botan::Certificate_Status_Code::CANNOT_ESTABLISH_TRUST) {
            return "certificate does not chain to a configured CA (" + why + ")";
        }
        return "certificate path validation failed: " + why;
    } catch (const std::exception& e) {
        return std::string("certificate path validation failed: ") + e.what();
    }
}

namespace crypto {

std::shared_ptr<const Private_key> generate_private_key(Key_algorithm algorithm, Crypto_provider& rng,
                                                        std::size_t rsa_bits) {
    Provider_rng r(rng);
    std::unique_ptr<Botan::Private_Key> k;
    switch (algorithm) {
        case Key_algorithm::RSA: k = std::make_unique<Botan::RSA_PrivateKey>(r, rsa_bits); break;
        case Key_algorithm::ECDSA_P256: k = std::make_unique<Botan::ECDSA_PrivateKey>(r, Botan::EC_Group("secp256r1")); break;
        case Key_algorithm::ECDSA_P384: k = std::make_unique<Botan::ECDSA_PrivateKey>(r, Botan::EC_Group("secp384r1")); break;
        case Key_algorithm::ECDSA_P521: k = std::make_unique<Botan::ECDSA_PrivateKey>(r, Botan::EC_Group("secp521r1")); break;
        case Key_algorithm::Ed25519: k = std::make_unique<Botan::Ed25519_PrivateKey>(r); break;
        case Key_algorithm::other: throw std::invalid_argument("no key algorithm given");
    }
    return std::make_shared<Botan_private_key>(std::move(k));
}

std::shared_ptr<const Certificate> self_sign(const Private_key& key, const Certificate_request& request,
                                             Crypto_provider& rng) {
    Provider_rng r(rng);
    try {
        return std::make_shared<Botan_certificate>(
            Botan::X509::create_self_signed_cert(options(request), as_botan(key).botan(), "SHA-256", r));
    } catch (const Botan::Exception& e) {
        throw std::invalid_argument(std::string("self_sign: ") + e.what());
    }
}

std::shared_ptr<const Certificate> issue(const Certificate& ca, const Private_key& ca_key,
                                         const Private_key& subject_key, const Certificate_request& request,
                                         Crypto_provider& rng) {
    Provider_rng r(rng);
    const auto* ca_cert = as_botan(ca);
    if (!ca_cert) throw std::invalid_argument("CA certificate not parsed by the Botan provider");
    try {
        const auto opts = options(request);
        const auto req = Botan::X509::create_cert_req(opts, as_botan(subject_key).botan(), "SHA-256", r);
        Botan::X509_CA authority(ca_cert->botan(), as_botan(ca_key).botan(), "SHA-256", r);
        return std::make_shared<Botan_certificate>(authority.sign_request(req, r, opts.start, opts.end));
    } catch (const Botan::Exception& e) {
        throw std::invalid_argument(std::string("issue: ") + e.what());
    }
}

std::string private_key_pem(const Private_key& key) { return Botan::PKCS8::PEM_encode(as_botan(key).botan()); }

std::string certificate_pem(const Certificate& cert) {
    return Botan::PEM_Code::encode(cert.der().data(), cert.der().size(), "CERTIFICATE");
}

}  // namespace crypto
}  // namespace ike
