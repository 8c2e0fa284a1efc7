export function generateValidator(): string;
