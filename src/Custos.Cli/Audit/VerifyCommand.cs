using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Custos.Core.Audit;
using Custos.Core.Installation;
using Custos.Storage;

namespace Custos.Cli.Audit;

/// <summary>
/// <c>custos audit verify</c>: re-walks the hash chain and checks signed checkpoints. Exit codes: 0 intact,
/// 1 tampering found, 2 usage or configuration error, 3 I/O or database error.
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory whose custos.db to verify." };
        var database = new Option<string?>("--database") { Description = "Database URL (SQLite file or PostgreSQL) to verify." };
        var file = new Option<string?>("--file") { Description = "A JSON Lines export to verify." };
        var expectHead = new Option<string?>("--expect-head") { Description = "SEQ:HASH recorded earlier; detects truncation and rewrites up to it." };
        var trustedKey = new Option<string?>("--trusted-key") { Description = "The audit public key (ed25519:BASE64) held elsewhere; detects re-signing with another key." };
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("verify", "Verify the audit log's hash chain and checkpoint signatures, offline and read-only.")
        {
            dataDir, database, file, expectHead, trustedKey, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var sources = new[] { parse.GetValue(dataDir), parse.GetValue(database), parse.GetValue(file) }.Count(s => s is not null);
            if (sources != 1)
                return Usage("give exactly one of --data-dir, --database or --file");
            var options = new AuditVerificationOptions();
            if (parse.GetValue(expectHead) is { } head)
            {
                if (!TryParseHead(head, out var parsed)) return Usage($"--expect-head: \"{head}\" is not SEQ:HASH (64 hex digits)");
                options = options with { ExpectHead = parsed };
            }
            if (parse.GetValue(trustedKey) is { } key)
            {
                if (!AuditSigningKey.TryParsePublicKey(key.Trim(), out var raw)) return Usage("--trusted-key: expected ed25519:BASE64 (32 bytes)");
                options = options with { TrustedKey = raw };
            }
            AuditVerificationResult result;
            try
            {
                result = parse.GetValue(file) is { } path
                    ? await VerifyFileAsync(path, options, cancellationToken)
                    : await VerifyDatabaseAsync(parse.GetValue(dataDir), parse.GetValue(database), options, cancellationToken);
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Configuration)
            {
                return Usage(e.Message);
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                await Console.Error.WriteLineAsync("custos audit verify: " + e.Message);
                return ExitCodes.IoError;
            }
            catch (FormatException e)
            {
                // The export's header or checkpoints do not parse: the file is not an intact export.
                result = new AuditVerificationResult(false, 0, AuditHead.Empty, 1, e.Message, 0, 0, []);
            }
            Print(result, parse.GetValue(output) == "json");
            return result.Intact ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static async Task<AuditVerificationResult> VerifyDatabaseAsync(string? dataDir, string? database, AuditVerificationOptions options, CancellationToken cancellationToken)
    {
        await using var store = await OfflineInstallation.OpenForReadingAsync(dataDir, database, cancellationToken);
        var keyText = await store.GetSettingAsync(SettingKeys.AuditPublicKey, cancellationToken);
        byte[]? publicKey = null;
        if (keyText is not null && !AuditSigningKey.TryParsePublicKey(keyText, out publicKey))
            return new AuditVerificationResult(false, 0, AuditHead.Empty, 1, "the stored audit public key is malformed", 0, 0, []);
        var checkpoints = new List<AuditCheckpoint>();
        await foreach (var c in store.ReadCheckpointsAsync(cancellationToken)) checkpoints.Add(c);
        return await AuditVerifier.VerifyStoreAsync(store, checkpoints, publicKey, options, cancellationToken);
    }

    private static async Task<AuditVerificationResult> VerifyFileAsync(string path, AuditVerificationOptions options, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, BufferSize = 0 });
        var (header, checkpoints, links) = await AuditExport.ReadAsync(stream, cancellationToken);
        byte[]? publicKey = null;
        if (header.PublicKey is not null && !AuditSigningKey.TryParsePublicKey(header.PublicKey, out publicKey))
            throw new FormatException("line 1: public_key is malformed");
        // A full export states the head it was cut at: an export that ends before it lost its newest events, even
        // when no checkpoint covers them yet. (An explicit --expect-head, recorded elsewhere, takes precedence.)
        if (!header.Filtered && options.ExpectHead is null && header.Head is not null)
        {
            if (!TryParseHead(header.Head, out var stated)) throw new FormatException($"line 1: head \"{header.Head}\" is not SEQ:HASH");
            options = options with { ExpectHead = stated };
        }
        return await AuditVerifier.VerifyLinksAsync(links, checkpoints, publicKey, options with { Partial = header.Filtered }, cancellationToken);
    }

    public static bool TryParseHead(string text, out AuditHead head)
    {
        head = AuditHead.Empty;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) return false;
        var hex = text[(colon + 1)..].Trim();
        if (hex.Length != 64) return false;
        try
        {
            head = new AuditHead(seq, Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static void Print(AuditVerificationResult r, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                intact = r.Intact,
                events = r.EventCount,
                head = r.Head.ToString(),
                first_bad_seq = r.FirstBadSeq,
                problem = r.Problem,
                checkpoints_verified = r.CheckpointsVerified,
                gaps = r.GapCount,
                notes = r.Notes,
            }));
            return;
        }
        if (r.Intact)
            Console.Out.WriteLine($"intact: {r.EventCount} events, {r.CheckpointsVerified} signed checkpoints verified");
        else
            Console.Out.WriteLine($"TAMPERED: first bad sequence number {r.FirstBadSeq}: {r.Problem}");
        Console.Out.WriteLine($"head: {r.Head}");
        foreach (var note in r.Notes) Console.Out.WriteLine("note: " + note);
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("custos audit verify: " + message);
        return ExitCodes.Usage;
    }
}
