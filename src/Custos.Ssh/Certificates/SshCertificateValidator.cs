using System.Net;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Certificates;

/// <summary>The outcome of validating a certificate: either a failure reason, or what the certificate grants.</summary>
public sealed record SshCertificateValidationResult
{
    public bool IsValid => Failure is null;

    /// <summary>Why the certificate was refused; null when it is valid.</summary>
    public string? Failure { get; init; }

    /// <summary>The <c>force-command</c> the session must run instead of the client's command, if any.</summary>
    public string? ForceCommand { get; init; }

    /// <summary>True when the certificate carries <c>verify-required</c>: signatures must have the FIDO user-verified flag.</summary>
    public bool UserVerificationRequired { get; init; }

    /// <summary>The extensions granted (e.g. <c>permit-pty</c>).</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];

    internal static SshCertificateValidationResult Refused(string reason) => new() { Failure = reason };
}

/// <summary>
/// Decides whether to trust a certificate, as sshd does with <c>TrustedUserCAKeys</c> (or ssh with
/// <c>@cert-authority</c>): trusted CA, valid CA signature, type, validity window (with a clock-skew
/// allowance, time from the injected <see cref="TimeProvider"/>), principal, critical options.
/// Unknown critical options are refused; <c>source-address</c> is checked; <c>force-command</c> is surfaced.
/// </summary>
public sealed class SshCertificateValidator
{
    private static readonly string[] UserCriticalOptions =
        [SshCertificateOptionNames.ForceCommand, SshCertificateOptionNames.SourceAddress, SshCertificateOptionNames.VerifyRequired];

    private readonly SshPublicKey[] _trusted;
    private readonly TimeProvider _time;

    public SshCertificateValidator(IEnumerable<SshPublicKey> trustedCertificateAuthorities, TimeProvider timeProvider, TimeSpan clockSkew = default)
    {
        ArgumentNullException.ThrowIfNull(trustedCertificateAuthorities);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(clockSkew, TimeSpan.Zero);
        _trusted = [.. trustedCertificateAuthorities];
        if (Array.Exists(_trusted, k => k is null or SshCertificate))
        {
            throw new ArgumentException("Trusted CA keys must be plain keys, not certificates.", nameof(trustedCertificateAuthorities));
        }

        _time = timeProvider;
        ClockSkew = clockSkew;
    }

    public TimeSpan ClockSkew { get; }

    /// <summary>
    /// Validates <paramref name="certificate"/> for <paramref name="principal"/> (a user name for user
    /// certificates, a host name for host certificates), connecting from <paramref name="clientAddress"/>.
    /// </summary>
    public SshCertificateValidationResult Validate(SshCertificate certificate, SshCertificateType expectedType, string principal, IPAddress? clientAddress = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(principal);
        SshPublicKey? authority = FindTrusted(certificate.SignatureKey);
        if (authority is null)
        {
            return SshCertificateValidationResult.Refused($"The certificate is signed by {certificate.SignatureKey.Algorithm} {certificate.SignatureKey.GetFingerprint()}, which is not a trusted CA.");
        }

        if (certificate.Type != expectedType)
        {
            return SshCertificateValidationResult.Refused($"A {expectedType.ToString().ToLowerInvariant()} certificate is required, but this is a {certificate.Type.ToString().ToLowerInvariant()} certificate.");
        }

        // Verify with the trusted key's own instance: it is equal by blob and its verifier is already built.
        if (!authority.Verify(certificate.SignedData.Span, certificate.Signature))
        {
            return SshCertificateValidationResult.Refused($"The CA signature ({certificate.Signature.Algorithm}) does not verify.");
        }

        string? timeFailure = CheckValidity(certificate);
        if (timeFailure is not null)
        {
            return SshCertificateValidationResult.Refused(timeFailure);
        }

        if (!certificate.Principals.Contains(principal, StringComparer.Ordinal))
        {
            return SshCertificateValidationResult.Refused(certificate.Principals.Count == 0
                ? "The certificate names no principals; Custos never treats an empty list as a wildcard."
                : $"Principal '{principal}' is not listed in the certificate.");
        }

        return CheckCriticalOptions(certificate, clientAddress);
    }

    private SshPublicKey? FindTrusted(SshPublicKey key)
    {
        foreach (SshPublicKey trusted in _trusted)
        {
            if (trusted.Equals(key))
            {
                return trusted;
            }
        }

        return null;
    }

    private string? CheckValidity(SshCertificate certificate)
    {
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        long skew = (long)ClockSkew.TotalSeconds;
        ulong latest = (ulong)Math.Max(0, now + skew);
        ulong earliest = (ulong)Math.Max(0, now - skew);
        if (latest < certificate.ValidAfter)
        {
            return $"The certificate is not yet valid (valid after {Describe(certificate.ValidAfter)}).";
        }

        if (earliest >= certificate.ValidBefore)
        {
            return $"The certificate has expired (valid before {Describe(certificate.ValidBefore)}).";
        }

        return null;
    }

    private static string Describe(ulong seconds) =>
        seconds > 253402300799 ? "forever" : DateTimeOffset.FromUnixTimeSeconds((long)seconds).ToString("u", System.Globalization.CultureInfo.InvariantCulture);

    private static SshCertificateValidationResult CheckCriticalOptions(SshCertificate certificate, IPAddress? clientAddress)
    {
        foreach (SshCertificateOption option in certificate.CriticalOptions)
        {
            // PROTOCOL.certkeys: host certificates define no critical options, so any is unknown there.
            bool known = certificate.Type == SshCertificateType.User && UserCriticalOptions.Contains(option.Name, StringComparer.Ordinal);
            if (!known)
            {
                return SshCertificateValidationResult.Refused($"Unsupported critical option '{SshPublicKey.Truncate(option.Name)}'.");
            }
        }

        string? sourceAddress = certificate.SourceAddress;
        if (sourceAddress is not null)
        {
            if (clientAddress is null)
            {
                return SshCertificateValidationResult.Refused("The certificate is restricted by source-address, but no client address was given.");
            }

            SourceAddressList allowed;
            try
            {
                allowed = SourceAddressList.Parse(sourceAddress);
            }
            catch (SshFormatException ex)
            {
                return SshCertificateValidationResult.Refused($"Invalid source-address option: {ex.Message}");
            }

            if (!allowed.Contains(clientAddress))
            {
                return SshCertificateValidationResult.Refused($"Client address {clientAddress} is not allowed by source-address '{SshPublicKey.Truncate(sourceAddress)}'.");
            }
        }

        return new SshCertificateValidationResult
        {
            ForceCommand = certificate.ForceCommand,
            UserVerificationRequired = certificate.CriticalOptions.Any(o => o.Name == SshCertificateOptionNames.VerifyRequired),
            Extensions = [.. certificate.Extensions.Select(e => e.Name)],
        };
    }
}
