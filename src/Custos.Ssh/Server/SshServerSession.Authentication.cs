using Custos.Ssh.Authentication;
using Custos.Ssh.Keys;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Server;

/// <summary>The server side of RFC 4252 (none, publickey) and RFC 4256 (keyboard-interactive).</summary>
public sealed partial class SshServerSession
{
    private string? _service;

    private async ValueTask OnUserAuthRequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!_serviceAccepted)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Authentication request before the ssh-userauth service was accepted");
        }
        if (_authenticated.Task.IsCompleted)
        {
            return; // RFC 4252 §5.1: requests after success are silently ignored.
        }
        _keyboardInteractivePending = false;
        var request = SshMessage.Decode<UserAuthRequestMessage>(payload.Span);
        var (user, service, method) = (request.UserName, request.ServiceName, request.MethodName);
        if (_context is null)
        {
            _context = new SshAuthenticationContext(user, RemoteEndPoint, Transport.SessionId);
            _service = service;
        }
        else if (_context.UserName != user || _service != service)
        {
            // As OpenSSH does: a change of user or service would reset partial success, so it is refused.
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Change of user name or service is not allowed");
        }
        if (service != ConnectionService)
        {
            throw new SshProtocolException(DisconnectReason.ServiceNotAvailable, $"Service '{SshPublicKey.Truncate(service)}' is not available");
        }
        switch (method)
        {
            case "none":
                await SendFailureAsync(partial: false, cancellationToken).ConfigureAwait(false);
                return;
            case "publickey" when Offered("publickey"):
                var publicKey = (UserAuthPublicKeyRequest)request;
                await OnPublicKeyAsync((publicKey.Algorithm, publicKey.KeyBlob.ToArray(), publicKey.Signature?.ToArray()), user, service, cancellationToken).ConfigureAwait(false);
                return;
            case "keyboard-interactive" when Offered("keyboard-interactive"):
                var step = await _authenticator.BeginKeyboardInteractiveAsync(_context, cancellationToken).ConfigureAwait(false);
                await ContinueKeyboardInteractiveAsync(step, cancellationToken).ConfigureAwait(false);
                return;
            default:
                await CompleteAsync(method, AuthenticationResult.Failure, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private bool Offered(string method) => _authenticator.GetMethods(_context!).Contains(method);

    // RFC 4252 §7.
    private async ValueTask OnPublicKeyAsync((string Algorithm, byte[] KeyBlob, byte[]? Signature) request, string user, string service, CancellationToken cancellationToken)
    {
        var (algorithm, keyBlob, signature) = request;
        SshPublicKey key;
        try
        {
            key = SshPublicKey.Parse(keyBlob);
        }
        catch (SshFormatException)
        {
            await CompleteAsync("publickey", AuthenticationResult.Failure, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!PublicKeyAuthentication.IsAcceptable(algorithm, key))
        {
            await CompleteAsync("publickey", AuthenticationResult.Failure, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (signature is null)
        {
            var acceptable = await _authenticator.AuthenticatePublicKeyAsync(_context!, key, false, cancellationToken).ConfigureAwait(false);
            if (acceptable == AuthenticationResult.Failure)
            {
                // A query is not an attempt (as in OpenSSH), but it is still answered with the method list.
                await SendFailureAsync(partial: false, cancellationToken).ConfigureAwait(false);
                return;
            }
            await Transport.SendFromReaderAsync(SshMessage.Encode(new UserAuthPkOkMessage(algorithm, keyBlob)), cancellationToken).ConfigureAwait(false);
            return;
        }
        var data = PublicKeyAuthentication.SignedData(Transport.SessionId, user, service, algorithm, keyBlob);
        var valid = key.Verify(data, signature, out var parsed) && parsed.Algorithm == PublicKeyAuthentication.SignatureAlgorithm(algorithm);
        var result = AuthenticationResult.Failure;
        if (valid)
        {
            result = await _authenticator.AuthenticatePublicKeyAsync(_context!, key, true, cancellationToken).ConfigureAwait(false);
            if (result != AuthenticationResult.Failure)
            {
                _context!.AuthenticatedKey = key;
            }
        }
        await CompleteAsync("publickey", result, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnInfoResponseAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _keyboardInteractivePending = false;
        var responses = SshMessage.Decode<UserAuthInfoResponseMessage>(payload.Span).Responses;
        var step = await _authenticator.ContinueKeyboardInteractiveAsync(_context!, responses, cancellationToken).ConfigureAwait(false);
        await ContinueKeyboardInteractiveAsync(step, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ContinueKeyboardInteractiveAsync(KeyboardInteractiveStep step, CancellationToken cancellationToken)
    {
        if (step.Result is { } result)
        {
            await CompleteAsync("keyboard-interactive", result, cancellationToken).ConfigureAwait(false);
            return;
        }
        // RFC 4256 §3.2 SSH_MSG_USERAUTH_INFO_REQUEST.
        var infoRequest = SshMessage.Encode(new UserAuthInfoRequestMessage(step.Name, step.Instruction, "", [.. step.Prompts]));
        _keyboardInteractivePending = true;
        await Transport.SendFromReaderAsync(infoRequest, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask CompleteAsync(string method, AuthenticationResult result, CancellationToken cancellationToken)
    {
        switch (result)
        {
            case AuthenticationResult.Success:
                _context!.CompletedMethods.Add(method);
                ConnectionProtocolActive = true;
                _authenticated.TrySetResult();
                await Transport.SendFromReaderAsync(SshMessage.Encode(new UserAuthSuccessMessage()), cancellationToken).ConfigureAwait(false);
                return;
            case AuthenticationResult.PartialSuccess:
                _context!.CompletedMethods.Add(method);
                await SendFailureAsync(partial: true, cancellationToken).ConfigureAwait(false);
                return;
            default:
                if (++_failures >= _options.MaxAuthAttempts)
                {
                    throw new SshProtocolException(DisconnectReason.NoMoreAuthMethodsAvailable, "Too many authentication failures");
                }
                await SendFailureAsync(partial: false, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask SendFailureAsync(bool partial, CancellationToken cancellationToken)
    {
        var methods = _authenticator.GetMethods(_context!).Where(m => !_context!.CompletedMethods.Contains(m)).ToArray();
        await Transport.SendFromReaderAsync(SshMessage.Encode(new UserAuthFailureMessage(methods, partial)), cancellationToken).ConfigureAwait(false);
    }
}
