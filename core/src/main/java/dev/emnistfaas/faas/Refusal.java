package dev.emnistfaas.faas;

/**
 * Why a request was refused before it could change or read anything ({@link ApiAccess}, {@link SignedCalls}):
 * its HTTP status and one line, for the caller and for the pod's log.
 */
public record Refusal(int status, String reason) {}
