export const word = 'and loaded';
