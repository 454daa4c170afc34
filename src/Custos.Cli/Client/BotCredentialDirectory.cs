using System.Text;
using System.Text.Json;

namespace Custos.Cli.Client;

/// <summary>What <c>bot.json</c> says about a bot's credentials (no secret: those are in their own files).</summary>
public sealed record BotState(string Server, string? CaFile, string? Fingerprint, string Bot, long Generation, string ExpiresAt, string SessionId);

/// <summary>
/// A bot's credential directory (0700): <c>bot.json</c>, <c>token</c> (the access token) and <c>credential</c> (the
/// renewal credential), each 0600. A save writes every new file under a temporary name first, then renames them into
/// place, the renewal credential first: after a crash the directory holds whole files, and the credential on disk is
/// the newest one the server issued (bot.json may then still name the previous generation).
/// </summary>
public sealed class BotCredentialDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string StateFile => Path.Combine(Root, "bot.json");

    public string TokenFile => Path.Combine(Root, "token");

    public string CredentialFile => Path.Combine(Root, "credential");

    public bool HasCredential => File.Exists(CredentialFile);

    public BotState LoadState()
    {
        try
        {
            return JsonSerializer.Deserialize<BotState>(File.ReadAllBytes(StateFile), ApiJson.Options)
                ?? throw new CliException(ExitCodes.IoError, $"{StateFile} is empty");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.IoError, $"{StateFile} is not a bot state file ({e.Message})", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.IoError, $"{Root} holds no bot.json; join first (custos bot join --out {Root})", e);
        }
    }

    public string LoadCredential()
    {
        try
        {
            var credential = File.ReadAllText(CredentialFile).Trim();
            return credential.Length == 0 ? throw new CliException(ExitCodes.IoError, $"{CredentialFile} is empty") : credential;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.IoError, $"{Root} holds no credential; join first (custos bot join --out {Root})", e);
        }
    }

    /// <summary>Writes the three files as described on the type; the directory is created 0700 when missing.</summary>
    public void Save(BotState state, string accessToken, string credential)
    {
        SecureFiles.CreateDirectory(Root);
        var files = new (string Path, byte[] Contents)[]
        {
            (CredentialFile, Encoding.UTF8.GetBytes(credential + "\n")),
            (TokenFile, Encoding.UTF8.GetBytes(accessToken + "\n")),
            (StateFile, JsonSerializer.SerializeToUtf8Bytes(state, ApiJson.Indented)),
        };
        var temps = files.Select(f => SecureFiles.TempPathFor(f.Path)).ToArray();
        try
        {
            for (var i = 0; i < files.Length; i++) SecureFiles.WriteNew(temps[i], files[i].Contents);
            for (var i = 0; i < files.Length; i++) File.Move(temps[i], files[i].Path, overwrite: true);
        }
        finally
        {
            foreach (var temp in temps)
                if (File.Exists(temp)) SecureFiles.TryDelete(temp);
        }
    }
}
