module.exports = { word: 'required' };
