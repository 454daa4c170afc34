using Custos.Ssh.Authentication;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Support;

/// <summary>
/// Accepts the listed user keys for any user name; keyboard-interactive asks one question whose answer is
/// "4242". With <see cref="RequireKeyThenCode"/>, a key is only a partial success and the code completes it.
/// </summary>
internal sealed class TestAuthenticator : SshServerAuthenticator
{
    public const string Code = "4242";
    private readonly List<SshPublicKey> _keys = [];

    public bool RequireKeyThenCode { get; init; }

    /// <summary>Accepts any certificate whose embedded key check is delegated to this function.</summary>
    public Func<SshPublicKey, bool>? CertificatePolicy { get; set; }

    public void Allow(SshPublicKey key)
    {
        lock (_keys)
        {
            _keys.Add(key);
        }
    }

    public override IReadOnlyList<string> GetMethods(SshAuthenticationContext context) =>
        RequireKeyThenCode && !context.CompletedMethods.Contains("publickey") ? ["publickey"] : ["publickey", "keyboard-interactive"];

    public override ValueTask<AuthenticationResult> AuthenticatePublicKeyAsync(SshAuthenticationContext context, SshPublicKey key, bool signatureVerified, CancellationToken cancellationToken)
    {
        bool known;
        lock (_keys)
        {
            known = _keys.Contains(key) || (CertificatePolicy?.Invoke(key) ?? false);
        }
        if (!known)
        {
            return ValueTask.FromResult(AuthenticationResult.Failure);
        }
        return ValueTask.FromResult(RequireKeyThenCode && signatureVerified ? AuthenticationResult.PartialSuccess : AuthenticationResult.Success);
    }

    public override ValueTask<KeyboardInteractiveStep> BeginKeyboardInteractiveAsync(SshAuthenticationContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(KeyboardInteractiveStep.Ask("Custos MFA", "Enter the code", ("Code: ", false)));

    public override ValueTask<KeyboardInteractiveStep> ContinueKeyboardInteractiveAsync(SshAuthenticationContext context, IReadOnlyList<string> responses, CancellationToken cancellationToken) =>
        ValueTask.FromResult(KeyboardInteractiveStep.Finish(responses is [Code] ? AuthenticationResult.Success : AuthenticationResult.Failure));
}
