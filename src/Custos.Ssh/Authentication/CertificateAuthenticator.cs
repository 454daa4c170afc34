using System.Net;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Authentication;

/// <summary>
/// Accepts OpenSSH user certificates signed by trusted CAs, validated by issue 5's
/// <see cref="SshCertificateValidator"/> for the requested user name as principal and the client's address
/// (source-address). Plain keys and keyboard-interactive are delegated to <paramref name="inner"/>.
/// The validation result (force-command, extensions) is left in <see cref="SshAuthenticationContext.State"/>.
/// </summary>
public sealed class CertificateAuthenticator(SshCertificateValidator validator, SshServerAuthenticator inner) : SshServerAuthenticator
{
    public override IReadOnlyList<string> GetMethods(SshAuthenticationContext context) => inner.GetMethods(context);

    public override ValueTask<AuthenticationResult> AuthenticatePublicKeyAsync(SshAuthenticationContext context, SshPublicKey key, bool signatureVerified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (key is not SshCertificate certificate)
        {
            return inner.AuthenticatePublicKeyAsync(context, key, signatureVerified, cancellationToken);
        }
        var address = (context.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }
        var result = validator.Validate(certificate, SshCertificateType.User, context.UserName, address);
        if (!result.IsValid)
        {
            return ValueTask.FromResult(AuthenticationResult.Failure);
        }
        if (signatureVerified)
        {
            context.State = result;
        }
        return ValueTask.FromResult(AuthenticationResult.Success);
    }

    public override ValueTask<KeyboardInteractiveStep> BeginKeyboardInteractiveAsync(SshAuthenticationContext context, CancellationToken cancellationToken) =>
        inner.BeginKeyboardInteractiveAsync(context, cancellationToken);

    public override ValueTask<KeyboardInteractiveStep> ContinueKeyboardInteractiveAsync(SshAuthenticationContext context, IReadOnlyList<string> responses, CancellationToken cancellationToken) =>
        inner.ContinueKeyboardInteractiveAsync(context, responses, cancellationToken);
}
