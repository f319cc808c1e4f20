package org.edgedeeplab.portrait.core;

/**
 * The model and the app disagree: a missing or invalid contract, or tensors the contract does not
 * describe. The message is one line that names the problem and the fix; the app shows it on screen.
 */
public final class ContractException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContractException(String message) {
        super(message);
    }
}
