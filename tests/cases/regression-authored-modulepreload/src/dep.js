export const dep = 'dep';
