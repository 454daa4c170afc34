namespace Custos.Ssh.Certificates;

/// <summary>The two kinds of certificate a CA signs (PROTOCOL.certkeys: SSH_CERT_TYPE_USER, SSH_CERT_TYPE_HOST).</summary>
public enum SshCertificateType : uint
{
    User = 1,
    Host = 2,
}

/// <summary>
/// A critical option or extension: a name and an optional value. On the wire the value, when present, is
/// itself wrapped in a string (PROTOCOL.certkeys); flag options such as <c>permit-pty</c> have no value.
/// </summary>
public sealed record SshCertificateOption(string Name, string Value = "");

/// <summary>Names defined by PROTOCOL.certkeys.</summary>
public static class SshCertificateOptionNames
{
    public const string ForceCommand = "force-command";
    public const string SourceAddress = "source-address";
    public const string VerifyRequired = "verify-required";
    public const string NoTouchRequired = "no-touch-required";
    public const string PermitX11Forwarding = "permit-X11-forwarding";
    public const string PermitAgentForwarding = "permit-agent-forwarding";
    public const string PermitPortForwarding = "permit-port-forwarding";
    public const string PermitPty = "permit-pty";
    public const string PermitUserRc = "permit-user-rc";

    /// <summary>The extensions <c>ssh-keygen -s</c> grants a user certificate by default.</summary>
    public static IReadOnlyList<string> DefaultUserExtensions { get; } =
        [PermitX11Forwarding, PermitAgentForwarding, PermitPortForwarding, PermitPty, PermitUserRc];
}
